"""PostgreSQL storage for any number of consumers: psycopg 3 with a connection pool.

Consumers in one shared-subscription group write to the same database;
``ON CONFLICT (key) DO NOTHING`` makes a message re-delivered to another
member after a consumer died count as a duplicate. Counters are per
consumer and devices rows are created in a fixed order, so members do not
queue behind each other's row locks. Writes run in a worker thread, so the
MQTT link stays serviced while a batch commits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from agent.backend.contract import Prepared, RecordRow
from agent.backend.migrations import VERSION_TABLE, pending
from agent.backend.store import Outcome, Store, StoreUnavailable, Tx
from agent.outputs.outbox.kinds import RecordKind

MIGRATION_LOCK = 0x65646765  # pg_advisory_xact_lock key: consumers starting together migrate one at a time


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql, params)  # type: ignore[arg-type]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.conn.transaction():  # nested: a savepoint, rolled back on an exception
            yield

    def json(self, value: dict[str, Any]) -> Jsonb:
        return Jsonb(value)


class PostgresStore(Store):
    data_errors = (psycopg.DataError, psycopg.IntegrityError, ValueError, TypeError, OverflowError)
    conflict_errors = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
    unavailable_errors = (psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout)
    insert_record = ("INSERT INTO records (key, kind, site, device, created, received) VALUES (%s, %s, %s, %s, %s, %s) "
                     "ON CONFLICT (key) DO NOTHING RETURNING arrival")

    def __init__(self, dsn: str, prefix: str = "v1", consumer: str = "ingest", *, connect_timeout_s: float = 10.0,
                 max_connections: int = 4) -> None:
        super().__init__(prefix, consumer)
        self.where = psycopg.conninfo.conninfo_to_dict(dsn).get("host") or "localhost"
        self._pool = psycopg_pool.ConnectionPool(
            dsn, min_size=1, max_size=max_connections, open=False, name=f"ingest-{consumer}",
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": f"edge-agent {consumer}"},
            check=psycopg_pool.ConnectionPool.check_connection, timeout=connect_timeout_s,
        )
        try:
            # One plain connection first: its error says why (no such database, password refused), a pool's does not.
            psycopg.connect(dsn, connect_timeout=max(1, round(connect_timeout_s))).close()
            self._pool.open(wait=True, timeout=connect_timeout_s)
            self._migrate()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            self._pool.close()
            raise StoreUnavailable(f"PostgreSQL at {self.where}: {exc}") from exc
        except BaseException:
            self._pool.close()
            raise

    def _migrate(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(VERSION_TABLE)
            applied = {r["version"] for r in conn.execute("SELECT version FROM schema_version")}
            for migration in pending("postgres", applied, f"PostgreSQL at {self.where}"):
                for statement in migration.statements():
                    conn.execute(statement)  # type: ignore[arg-type]
                conn.execute("INSERT INTO schema_version VALUES (%s, %s, %s)",
                             (migration.version, migration.name, time.time()))

    def close(self) -> None:
        self._pool.close()

    async def store(self, messages: list[tuple[str, bytes]]) -> list[Outcome]:
        return await asyncio.to_thread(self.store_batch, messages)

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PgTx(conn)

    def _write_all(self, tx: Tx, prepared: list[Prepared], now: float) -> list[Outcome]:
        """Minutes and sessions in one pipelined round trip: each is one statement that writes its typed row only
        if its key is new, and returns a row only then."""
        assert isinstance(tx, _PgTx)
        outcomes: list[Outcome | None] = [None] * len(prepared)
        pending: list[tuple[int, psycopg.Cursor[Any]]] = []
        with tx.conn.pipeline():
            for i, item in enumerate(prepared):
                if isinstance(item, RecordRow) and item.kind is not RecordKind.HEALTH:
                    cols = list(item.columns)
                    cur = tx.conn.cursor()
                    cur.execute(
                        f"WITH new AS ({self.insert_record}) INSERT INTO {item.table} (key, site, device, "  # type: ignore[arg-type]
                        f"{', '.join(cols)}, body) SELECT %s, %s, %s, {', '.join(['%s'] * len(cols))}, %s FROM new "
                        "RETURNING key",
                        (*self._record_params(item, now), item.key, item.site, item.device, *item.columns.values(),
                         Jsonb(item.body)))
                    pending.append((i, cur))
                else:
                    outcomes[i] = self._write(tx, item, now)
        for i, cur in pending:
            outcomes[i] = Outcome.STORED if cur.fetchone() is not None else Outcome.DUPLICATE
        return outcomes  # type: ignore[return-value]  # every slot is filled above

    def _record_params(self, row: RecordRow, now: float) -> tuple[Any, ...]:
        return (row.key, str(row.kind), row.site, row.device, row.created, now)

    def _count(self, tx: Tx, outcomes: list[Outcome]) -> None:
        for outcome in sorted(set(outcomes)):
            n = outcomes.count(outcome)
            tx.execute("INSERT INTO counters VALUES (%s, %s, %s) ON CONFLICT (consumer, name) "
                       "DO UPDATE SET value = counters.value + excluded.value", (self.consumer, str(outcome), n))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailable(f"PostgreSQL at {self.where}: {exc}") from exc

    def load_json(self, value: Any) -> dict[str, Any]:
        return value  # type: ignore[no-any-return]  # jsonb arrives decoded
