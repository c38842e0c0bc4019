"""``edge-agent ingest``: run the backend consumer (see :mod:`agent.backend.ingest`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click
import pydantic

from agent.backend.ingest import Ingest, IngestOptions
from agent.backend.stores import open_store
from agent.base.clock import Clock
from agent.errors import ConfigError


@click.command("ingest")
@click.option("--host", default="localhost", show_default=True, help="Broker host.")
@click.option("--port", type=int, default=8883, show_default=True, help="Broker port.")
@click.option("--username", help="Broker user name (with --password-file).")
@click.option("--password-file", type=click.Path(path_type=Path), help="File holding the password (mode 0600).")
@click.option("--ca-file", type=click.Path(path_type=Path), help="Pinned CA certificate; enables TLS.")
@click.option("--cert-file", type=click.Path(path_type=Path), help="Client certificate (TLS).")
@click.option("--key-file", type=click.Path(path_type=Path), help="Client private key (TLS, mode 0600).")
@click.option("--db", "database", required=True, metavar="FILE|postgresql://…",
              help="SQLite file (default, one consumer), or a PostgreSQL URL (several consumers; password in a "
                   "passfile).")
@click.option("--group", default="ingest", show_default=True, help="Shared-subscription group; consumers in it split the load.")
@click.option("--no-share", is_flag=True, help="Plain subscription (one consumer; a broker that forgets shared subscriptions on restart).")
@click.option("--client-id", default="edge-ingest-1", show_default=True, help="Unique per consumer instance.")
def command(host: str, port: int, username: str | None, password_file: Path | None, ca_file: Path | None,
            cert_file: Path | None, key_file: Path | None, database: str, group: str, no_share: bool,
            client_id: str) -> None:
    """Subscribe to every agent's summaries, validate, deduplicate by key, store in SQLite or PostgreSQL."""
    broker: dict[str, object] = {"host": host, "port": port, "username": username, "password_file": password_file}
    if ca_file is not None:
        broker["tls"] = {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}
    try:
        options = IngestOptions.model_validate(
            {"broker": broker, "database": database, "group": None if no_share else group, "client_id": client_id}
        )
    except pydantic.ValidationError as exc:
        raise ConfigError(f"invalid options:\n{exc}") from None
    # a bad URL or a missing driver: 78; the database is not there: 69, and systemd restarts it (agent.commands.cli.exits)
    store = open_store(options.database, options.topic_prefix, options.client_id)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(Ingest(options, store, Clock()).run())
    finally:
        store.close()
