"""Versioned migrations, store selection by --db, and a headset that never imports the backend's libraries."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest
from click.testing import CliRunner

from agent.backend.ingest import IngestOptions
from agent.backend.migrations import migrations
from agent.backend.postgres_store import PostgresStore
from agent.backend.sqlite_store import SqliteStore
from agent.backend.store import Outcome
from agent.commands.cli.main import main
from agent.errors import EX_UNAVAILABLE, ConfigError
from agent.outputs.sync.options import BrokerOptions
from tests.backend.messages import MINUTE_TOPIC, encoded, key, minute
from tools.harness.local_postgres import LocalPostgres

LEGACY = migrations("sqlite")[0].sql  # the tables as the consumer created them before schema versions


def test_a_database_from_before_schema_versions_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(LEGACY)
    for n, body in ((7, minute(7).model_dump(mode="json")), (6, {"start": 0})):  # a good row, and one from a bug
        old.execute("INSERT INTO records (key, kind, site, device, created, received, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (key(n), "summary.minute", "clinic-a", "headset-1", 1.0, 2.0,
                                                     msgpack.packb(body)))
    old.commit()
    old.close()
    store = SqliteStore(path)
    assert store.schema_version() == len(migrations("sqlite")) == 2
    assert store.keys() == [key(7), key(6)]
    assert store.bodies("summary.minute") == [minute(7).model_dump(mode="json")]  # backfilled; the bad one is not
    assert store.store_batch([(MINUTE_TOPIC, encoded(minute(7), 7)), (MINUTE_TOPIC, encoded(minute(8), 8))]) == [
        Outcome.DUPLICATE, Outcome.STORED]  # the old ledger still deduplicates
    store.close()
    assert SqliteStore(path).schema_version() == 2  # reopening applies nothing twice


def test_postgres_migrations_are_recorded_once_and_a_newer_schema_is_refused(pg_dsn: str) -> None:
    first, second = PostgresStore(pg_dsn, consumer="a"), PostgresStore(pg_dsn, consumer="b")
    try:
        assert first.query("SELECT version, name FROM schema_version") == [{"version": 1, "name": "schema"}]
        with first._pool.connection() as conn:  # noqa: SLF001
            conn.execute("INSERT INTO schema_version VALUES (99, 'from the future', 0)")
    finally:
        first.close()
        second.close()
    with pytest.raises(ConfigError, match="schema version 99, newer than this consumer knows"):
        PostgresStore(pg_dsn)


def test_db_selects_the_store() -> None:
    broker = BrokerOptions()
    assert IngestOptions(broker=broker, database="postgresql://ingest@db.example/summaries").database == (
        "postgresql://ingest@db.example/summaries")
    assert IngestOptions(broker=broker, database="/var/lib/ingest/summaries.sqlite3").database == Path(
        "/var/lib/ingest/summaries.sqlite3")


def test_an_unreachable_postgres_exits_69_so_systemd_retries(postgres: LocalPostgres, tmp_path: Path) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/no_such_database?connect_timeout=2"
    done = CliRunner().invoke(main, ["ingest", "--db", dsn, "--port", "1"])
    assert done.exit_code == EX_UNAVAILABLE, done.output
    assert "PostgreSQL at 127.0.0.1" in done.output and "no_such_database" in done.output


def test_the_headset_never_imports_the_backend_libraries() -> None:
    code = ("import sys, agent.app, agent.commands.cli.main, agent.backend.ingest; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool', 'matplotlib', "
            "'fhir', 'PIL')); print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
