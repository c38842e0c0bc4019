"""The embedded default: one SQLite file, one writer, WAL so a dashboard or the report can read alongside."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgpack

from agent.backend.contract import RecordRow, archive, check_storable, typed_columns
from agent.backend.migrations import VERSION_TABLE, pending
from agent.backend.store import Outcome, Store, Tx
from agent.errors import ConfigError
from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.sync.codec import BODY_MODEL

TYPED_TABLES_VERSION = 2  # the migration that added sessions, minutes and health beside the ledger


class _SqliteTx(Tx):
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql.replace("%s", "?"), params)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT message")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO message")
            self._db.execute("RELEASE message")
            raise
        self._db.execute("RELEASE message")

    def json(self, value: dict[str, Any]) -> str:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))


class SqliteStore(Store):
    data_errors = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError, ValueError, TypeError,
                   OverflowError)
    unavailable_errors = (sqlite3.OperationalError, sqlite3.DatabaseError)  # disk full, locked, corrupt
    insert_record = ("INSERT INTO records (key, kind, site, device, created, received, body) "
                     "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING RETURNING arrival")

    def __init__(self, path: Path, prefix: str = "v1", consumer: str = "ingest") -> None:
        super().__init__(prefix, consumer)
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"{path}: cannot open the database: {exc}", source=str(path)) from exc

    def _migrate(self) -> None:
        self._db.execute(VERSION_TABLE)
        for migration in pending("sqlite", set(self._versions()), str(self.path)):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if migration.version not in self._versions():  # another process may have applied it meanwhile
                    for statement in migration.statements():
                        self._db.execute(statement)
                    if migration.version == TYPED_TABLES_VERSION:
                        self._backfill()
                    self._db.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                                     (migration.version, migration.name, time.time()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _backfill(self) -> None:
        """Rows stored before the typed tables existed get their typed row, so the report sees them too."""
        tx = _SqliteTx(self._db)
        for r in self._db.execute("SELECT key, kind, site, device, body FROM records").fetchall():
            try:
                body = BODY_MODEL[RecordKind(r["kind"])].model_validate(msgpack.unpackb(r["body"], raw=False))
                check_storable(body.model_dump(mode="python"))
                table, columns = typed_columns(body)
            except Exception:  # noqa: BLE001 - an old row that no longer validates stays in the ledger only
                continue
            cols = list(columns)
            tx.execute(f"INSERT INTO {table} (key, site, device, {', '.join(cols)}, body) "
                       f"VALUES ({', '.join(['%s'] * (len(cols) + 4))})",
                       (r["key"], r["site"], r["device"], *columns.values(), tx.json(body.model_dump(mode="json"))))

    def _versions(self) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT version FROM schema_version")]

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _record_params(self, row: RecordRow, now: float) -> tuple[Any, ...]:
        return (row.key, str(row.kind), row.site, row.device, row.created, now, archive(row))

    def _count(self, tx: Tx, outcomes: list[Outcome]) -> None:
        for outcome in sorted(set(outcomes)):
            n = outcomes.count(outcome)
            tx.execute("INSERT INTO counters VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = value + %s",
                       (str(outcome), n, n))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql.replace("%s", "?"), params)]

    def load_json(self, value: Any) -> dict[str, Any]:
        return json.loads(value)  # type: ignore[no-any-return]
