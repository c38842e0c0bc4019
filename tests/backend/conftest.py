"""Backend test fixtures: a real PostgreSQL (one server per run, a fresh database per test), a real mosquitto."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.backend.postgres_store import PostgresStore
from agent.backend.sqlite_store import SqliteStore
from agent.backend.store import Store
from tests.support.broker_fixtures import broker, pki  # noqa: F401 - fixtures
from tools.harness.local_postgres import LocalPostgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_dsn(postgres: LocalPostgres) -> str:
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same behaviour is required of both stores."""
    if request.param == "sqlite":
        s: Store = SqliteStore(tmp_path / "ingest.sqlite3", consumer="test")
    else:
        s = PostgresStore(request.getfixturevalue("pg_dsn"), consumer="test")
    try:
        yield s
    finally:
        s.close()
