"""``edge-agent ingest``: run the reference backend consumer (see :mod:`agent.ingest`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click
import pydantic

from agent.clock import Clock
from agent.errors import EX_CONFIG
from agent.ingest import Ingest, IngestOptions, IngestStore


@click.command("ingest")
@click.option("--host", default="localhost", show_default=True, help="Broker host.")
@click.option("--port", type=int, default=8883, show_default=True, help="Broker port.")
@click.option("--username", help="Broker user name (with --password-file).")
@click.option("--password-file", type=click.Path(path_type=Path), help="File holding the password (mode 0600).")
@click.option("--ca-file", type=click.Path(path_type=Path), help="Pinned CA certificate; enables TLS.")
@click.option("--cert-file", type=click.Path(path_type=Path), help="Client certificate (TLS).")
@click.option("--key-file", type=click.Path(path_type=Path), help="Client private key (TLS, mode 0600).")
@click.option("--db", "database", type=click.Path(path_type=Path), required=True, help="SQLite database to store into.")
@click.option("--group", default="ingest", show_default=True, help="Shared-subscription group; consumers in it split the load.")
@click.option("--no-share", is_flag=True, help="Plain subscription (one consumer; a broker that forgets shared subscriptions on restart).")
@click.option("--client-id", default="edge-ingest-1", show_default=True, help="Unique per consumer instance.")
def command(host: str, port: int, username: str | None, password_file: Path | None, ca_file: Path | None,
            cert_file: Path | None, key_file: Path | None, database: Path, group: str, no_share: bool,
            client_id: str) -> None:
    """Subscribe to every agent's summaries, validate, deduplicate by key, store in SQLite."""
    broker: dict[str, object] = {"host": host, "port": port, "username": username, "password_file": password_file}
    if ca_file is not None:
        broker["tls"] = {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}
    try:
        options = IngestOptions.model_validate(
            {"broker": broker, "database": database, "group": None if no_share else group, "client_id": client_id}
        )
    except pydantic.ValidationError as exc:
        click.echo(f"edge-agent ingest: invalid options:\n{exc}", err=True)
        raise SystemExit(EX_CONFIG) from None
    store = IngestStore(options.database, options.topic_prefix)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(Ingest(options, store, Clock()).run())
    finally:
        store.close()
