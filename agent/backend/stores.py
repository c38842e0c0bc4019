"""Pick the store from ``--db``: a ``postgresql://`` URL selects PostgreSQL, anything else is a SQLite file."""

from __future__ import annotations

from pathlib import Path

from agent.backend.store import Store
from agent.errors import DriverUnavailable

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(database: str | Path) -> bool:
    return str(database).startswith(POSTGRES_SCHEMES)


def open_store(database: str | Path, prefix: str = "v1", consumer: str = "ingest") -> Store:
    if is_postgres(database):
        try:
            from agent.backend.postgres_store import PostgresStore
        except ImportError as exc:
            raise DriverUnavailable("postgresql", "backend", str(exc)) from None
        return PostgresStore(str(database), prefix, consumer)
    from agent.backend.sqlite_store import SqliteStore

    return SqliteStore(Path(database), prefix, consumer)
