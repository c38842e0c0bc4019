"""What every store does: validate a batch, store it in one transaction, isolate a row the database refuses.

A batch is written optimistically in one transaction. Should the database
refuse a row that the contract (:mod:`agent.backend.contract`) let through,
the batch is rolled back and written again with a savepoint around each
message, so the good messages are stored and each refused one is
quarantined in ``rejected`` with the database's reason. Losing the database
itself raises :class:`StoreUnavailable`: nothing was committed, nothing is
acknowledged, and the consumer retries. A conflict with another consumer
(deadlock, serialization failure) retries the batch.

SQL here is written once with ``%s`` placeholders; each dialect adapts it.
"""

from __future__ import annotations

import abc
import enum
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import structlog

from agent.backend.contract import Prepared, PresenceRow, RecordRow, Rejection, prepare
from agent.errors import SyncError
from agent.outputs.outbox.kinds import RecordKind

log = structlog.get_logger("edge_agent.ingest")

TABLE_OF_KIND = {RecordKind.SESSION: "sessions", RecordKind.MINUTE: "minutes", RecordKind.HEALTH: "health"}
CONFLICT_RETRIES = 8


class Outcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    PRESENCE = "presence"


class StoreUnavailable(SyncError):
    """The database cannot be reached or would not commit; nothing was acknowledged, so nothing is lost."""


class Tx(abc.ABC):
    """One open transaction."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    @abc.abstractmethod
    def savepoint(self) -> AbstractContextManager[None]: ...

    @abc.abstractmethod
    def json(self, value: dict[str, Any]) -> Any: ...


class Store(abc.ABC):
    """A consumer's database. Subclasses supply transactions, error classes and a few dialect statements."""

    data_errors: tuple[type[BaseException], ...] = (ValueError, TypeError, OverflowError)
    conflict_errors: tuple[type[BaseException], ...] = ()
    unavailable_errors: tuple[type[BaseException], ...] = ()
    insert_record: str  # returns a row when the key is new

    def __init__(self, prefix: str, consumer: str) -> None:
        self.prefix = prefix
        self.consumer = consumer

    # -- dialect -------------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[Tx]: ...

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts, read outside any write transaction."""

    @abc.abstractmethod
    def _record_params(self, row: RecordRow, now: float) -> tuple[Any, ...]: ...

    @abc.abstractmethod
    def _count(self, tx: Tx, outcomes: list[Outcome]) -> None: ...

    @abc.abstractmethod
    def load_json(self, value: Any) -> dict[str, Any]: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- writing -------------------------------------------------------------

    async def store(self, messages: list[tuple[str, bytes]]) -> list[Outcome]:
        """Store a batch; a store on the network overrides this to keep the event loop free."""
        return self.store_batch(messages)

    def store_batch(self, messages: list[tuple[str, bytes]]) -> list[Outcome]:
        """Validate and store messages; returns what happened to each, in order."""
        prepared = [prepare(topic, payload, self.prefix) for topic, payload in messages]
        now = time.time()
        try:
            return self._write_batch(prepared, now, isolate=False)
        except self.data_errors as exc:
            log.warning("ingest.batch_refused", error=f"{type(exc).__name__}: {exc}", messages=len(prepared))
        return self._write_batch(prepared, now, isolate=True)

    def _write_batch(self, prepared: list[Prepared], now: float, *, isolate: bool) -> list[Outcome]:
        for _ in range(CONFLICT_RETRIES):
            try:
                with self._transaction() as tx:
                    self._ensure_devices(tx, prepared, now)
                    outcomes = ([self._write_isolated(tx, p, now) for p in prepared] if isolate
                                else self._write_all(tx, prepared, now))
                    self._count(tx, outcomes)
                return outcomes
            except self.data_errors:
                raise  # some are subclasses of the unavailable ones (sqlite3.IntegrityError of DatabaseError)
            except self.conflict_errors as exc:
                log.info("ingest.conflict_retry", error=str(exc))
            except self.unavailable_errors as exc:
                raise StoreUnavailable(f"database unavailable: {type(exc).__name__}: {exc}") from exc
        raise StoreUnavailable(f"the batch conflicted with other consumers {CONFLICT_RETRIES} times")

    def _write_all(self, tx: Tx, prepared: list[Prepared], now: float) -> list[Outcome]:
        """The optimistic path; a store that can send a batch in fewer round trips overrides it."""
        return [self._write(tx, p, now) for p in prepared]

    def _write_isolated(self, tx: Tx, item: Prepared, now: float) -> Outcome:
        try:
            with tx.savepoint():
                return self._write(tx, item, now)
        except self.data_errors as exc:
            topic = item.topic if isinstance(item, Rejection) else f"{self.prefix}/{item.site}/{item.device}"
            reason = f"the database refused it: {type(exc).__name__}: {exc}"
            return self._write(tx, Rejection(topic, b"", reason[:2000].replace("\x00", "")), now)

    def _ensure_devices(self, tx: Tx, prepared: list[Prepared], now: float) -> None:
        # In a fixed order, so two consumers' batches never wait on each other's device rows in a cycle.
        for site, device in sorted({(p.site, p.device) for p in prepared if isinstance(p, RecordRow)}):
            tx.execute("INSERT INTO devices (site, device, first_seen) VALUES (%s, %s, %s) ON CONFLICT (site, device) "
                       "DO NOTHING", (site, device, now))

    def _write(self, tx: Tx, item: Prepared, now: float) -> Outcome:
        if isinstance(item, Rejection):
            tx.execute("INSERT INTO rejected (received, topic, reason, payload, consumer) VALUES (%s, %s, %s, %s, %s)",
                       (now, item.topic, item.reason, item.payload, self.consumer))
            log.warning("ingest.rejected", topic=item.topic, reason=item.reason)
            return Outcome.REJECTED
        if isinstance(item, PresenceRow):
            # By arrival, not by t: a Will carries the time it was registered, before the "online" that followed it.
            tx.execute("INSERT INTO presence (site, device, state, t, received) VALUES (%s, %s, %s, %s, %s) "
                       "ON CONFLICT (site, device) DO UPDATE SET state = excluded.state, t = excluded.t, "
                       "received = excluded.received", (item.site, item.device, item.state, item.t, now))
            return Outcome.PRESENCE
        if tx.execute(self.insert_record, self._record_params(item, now)).fetchone() is None:
            return Outcome.DUPLICATE
        cols = list(item.columns)
        tx.execute(f"INSERT INTO {item.table} (key, site, device, {', '.join(cols)}, body) "
                   f"VALUES ({', '.join(['%s'] * (len(cols) + 4))})",
                   (item.key, item.site, item.device, *item.columns.values(), tx.json(item.body)))
        if item.kind is RecordKind.HEALTH:
            c = item.columns
            tx.execute("INSERT INTO devices (site, device, first_seen, agent_version, health_t, sessions_per_week, "
                       "minutes_per_session) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (site, device) DO UPDATE "
                       "SET agent_version = excluded.agent_version, health_t = excluded.health_t, "
                       "sessions_per_week = excluded.sessions_per_week, "
                       "minutes_per_session = excluded.minutes_per_session "
                       "WHERE devices.health_t IS NULL OR excluded.health_t >= devices.health_t",
                       (item.site, item.device, now, c["agent_version"], c["t"], c["sessions_per_week"],
                        c["minutes_per_session"]))
        return Outcome.STORED

    # -- reading (tests, dashboards, the report) -----------------------------

    def counters(self) -> dict[str, int]:
        rows = self.query("SELECT name, SUM(value) AS total FROM counters GROUP BY name")
        return {r["name"]: int(r["total"]) for r in rows}

    def keys(self) -> list[str]:
        return [r["key"] for r in self.query("SELECT key FROM records ORDER BY arrival")]

    def kinds_in_arrival_order(self) -> list[str]:
        return [r["kind"] for r in self.query("SELECT kind FROM records ORDER BY arrival")]

    def bodies(self, kind: str) -> list[dict[str, Any]]:
        table = TABLE_OF_KIND[RecordKind(kind)]
        rows = self.query(f"SELECT t.body FROM {table} t JOIN records r ON r.key = t.key ORDER BY r.arrival")
        return [self.load_json(r["body"]) for r in rows]

    def presence(self, site: str, device: str) -> str | None:
        rows = self.query("SELECT state FROM presence WHERE site = %s AND device = %s", (site, device))
        return rows[0]["state"] if rows else None

    def rejected(self) -> list[tuple[str, str]]:
        return [(r["topic"], r["reason"]) for r in self.query("SELECT topic, reason FROM rejected ORDER BY id")]

    def schema_version(self) -> int:
        return int(self.query("SELECT MAX(version) AS v FROM schema_version")[0]["v"])

