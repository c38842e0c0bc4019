"""The durable outbox: SQLite in WAL mode, bounded by size, evicting by rank.

Every record has a UUID idempotency key, a creation time (wall clock, Unix
seconds: the outbox is an edge of the agent) and its kind. A record leaves
the outbox only three ways, and the last two are counted per kind and
reported in the health record (never silent):

- **delivered**: deleted after the broker's PUBACK;
- **evicted**: the outbox would exceed ``max_bytes``. The victim is the
  record of the *lowest rank*, *oldest first* within a rank (health, then
  minute summaries, then session summaries; see
  :mod:`agent.outbox.kinds`). Only records of the newcomer's rank or lower
  are candidates; if they cannot make room, the newcomer itself is the one
  dropped (and nothing else is), so a session summary is never evicted to
  make room for a minute summary;
- **expired**: its kind has a time-to-live and it was not sent in time.

Sizes count the payload plus a fixed per-record overhead, kept exactly by
triggers in the same transactions, so a crash cannot make them drift.
Each public method is one transaction: ``kill -9`` at any moment leaves
either the old or the new state, never half of one.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from agent.outbox.kinds import RecordKind
from agent.outbox.options import Durability

RECORD_OVERHEAD = 128  # bytes charged per record beyond its payload (key, columns, index entries)
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    key     TEXT    NOT NULL UNIQUE,
    kind    TEXT    NOT NULL,
    rank    INTEGER NOT NULL,
    created REAL    NOT NULL,
    expires REAL,
    size    INTEGER NOT NULL,
    payload BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS records_send_order ON records (rank DESC, seq);
CREATE INDEX IF NOT EXISTS records_evict_order ON records (rank, seq);
CREATE INDEX IF NOT EXISTS records_expires ON records (expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS totals (
    id      INTEGER PRIMARY KEY CHECK (id = 0),
    records INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals VALUES (0, 0, 0);
CREATE TRIGGER IF NOT EXISTS records_added AFTER INSERT ON records BEGIN
    UPDATE totals SET records = records + 1, bytes = bytes + NEW.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS records_removed AFTER DELETE ON records BEGIN
    UPDATE totals SET records = records - 1, bytes = bytes - OLD.size WHERE id = 0;
END;
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

log = structlog.get_logger("edge_agent.outbox")


class RecordTooLarge(ValueError):
    """A single record is bigger than the whole outbox may be."""


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    key: str
    kind: RecordKind
    created: float
    expires: float | None
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxStats:
    records: int
    bytes: int
    max_bytes: int
    pending: dict[str, int] = field(default_factory=dict)  # kind -> records waiting
    evicted: dict[str, int] = field(default_factory=dict)  # kind -> records evicted, ever
    expired: dict[str, int] = field(default_factory=dict)  # kind -> records expired, ever

    def as_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "pending": dict(self.pending),
            "evicted": dict(self.evicted),
            "expired": dict(self.expired),
        }


@dataclass(frozen=True, slots=True)
class PutResult:
    """What ``put`` did: the stored record (None if the new record was itself evicted) and its victims."""

    record: Record | None
    evicted: tuple[tuple[str, str], ...] = ()  # (kind, key) of every record evicted to make room


class Outbox:
    """A size-bounded, crash-safe queue of records waiting to be sent.

    Not thread-safe: one owner (see :class:`agent.outbox.aio.AsyncOutbox`).
    Other processes may read it concurrently (WAL).
    """

    def __init__(self, db: sqlite3.Connection, path: Path, max_bytes: int) -> None:
        self._db = db
        self.path = path
        self.max_bytes = max_bytes

    @classmethod
    def open(cls, path: Path, *, max_bytes: int, durability: Durability = Durability.FULL) -> Outbox:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, timeout=10.0)  # autocommit: we BEGIN ourselves
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={durability.value.upper()}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"outbox {path} has schema {version}, newer than this agent's {SCHEMA_VERSION}")
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        except BaseException:
            db.close()
            raise
        return cls(db, path, max_bytes)

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------

    def put(
        self,
        kind: RecordKind,
        payload: bytes,
        *,
        key: str | None = None,
        created: float | None = None,
    ) -> PutResult:
        """Store one record, evicting by rank if the outbox would overflow."""
        size = len(payload) + RECORD_OVERHEAD
        if size > self.max_bytes:
            raise RecordTooLarge(f"{kind} record of {size} bytes exceeds the outbox's max_bytes={self.max_bytes}")
        key = key or str(uuid.uuid4())
        created = time.time() if created is None else created
        expires = None if kind.ttl_s is None else created + kind.ttl_s
        with self._transaction():
            self._expire(time.time())
            used = self._db.execute("SELECT bytes FROM totals").fetchone()[0]
            victims = self._victims(kind, need=used + size - self.max_bytes)
            if victims is None:  # everything that could make room outranks the newcomer
                self._count(f"evicted.{kind}", 1)
                log.warning("outbox.evicted", kind=str(kind), key=key, reason="outbox full; newcomer ranks lowest")
                return PutResult(None, ((str(kind), key),))
            for seq, victim_key, victim_kind in victims:
                self._db.execute("DELETE FROM records WHERE seq = ?", (seq,))
                self._count(f"evicted.{victim_kind}", 1)
                log.warning("outbox.evicted", kind=victim_kind, key=victim_key, reason="outbox full")
            cur = self._db.execute(
                "INSERT INTO records (key, kind, rank, created, expires, size, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, str(kind), kind.rank, created, expires, size, payload),
            )
            seq = cur.lastrowid
        assert seq is not None
        return PutResult(Record(seq, key, kind, created, expires, payload), tuple((k, key_) for _, key_, k in victims))

    def delete(self, seqs: Iterable[int]) -> int:
        """Forget delivered records (all in one transaction); returns how many existed."""
        rows = [(s,) for s in seqs]
        if not rows:
            return 0
        with self._transaction():
            return self._db.executemany("DELETE FROM records WHERE seq = ?", rows).rowcount  # triggers not counted

    def expire(self, now: float | None = None) -> int:
        with self._transaction():
            return self._expire(time.time() if now is None else now)

    # -- reading -------------------------------------------------------------

    def pending(self, limit: int, *, exclude: Collection[int] = (), now: float | None = None) -> list[Record]:
        """Up to ``limit`` unexpired records in send order (highest rank, then oldest), skipping ``exclude``."""
        now = time.time() if now is None else now
        rows = self._db.execute(
            "SELECT seq, key, kind, created, expires, payload FROM records"
            " WHERE expires IS NULL OR expires > ? ORDER BY rank DESC, seq LIMIT ?",
            (now, limit + len(exclude)),
        ).fetchall()
        out = [Record(r[0], r[1], RecordKind(r[2]), r[3], r[4], bytes(r[5])) for r in rows if r[0] not in exclude]
        return out[:limit]

    def stats(self) -> OutboxStats:
        records, used = self._db.execute("SELECT records, bytes FROM totals").fetchone()
        pending = dict(self._db.execute("SELECT kind, count(*) FROM records GROUP BY kind").fetchall())
        counters = dict(self._db.execute("SELECT name, value FROM counters").fetchall())
        return OutboxStats(
            records=records,
            bytes=used,
            max_bytes=self.max_bytes,
            pending=pending,
            evicted={k.removeprefix("evicted."): v for k, v in counters.items() if k.startswith("evicted.")},
            expired={k.removeprefix("expired."): v for k, v in counters.items() if k.startswith("expired.")},
        )

    # -- internals -----------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _victims(self, kind: RecordKind, need: int) -> list[tuple[int, str, str]] | None:
        """The records to evict to free ``need`` bytes for a ``kind`` record, or None if impossible."""
        victims: list[tuple[int, str, str]] = []
        if need <= 0:
            return victims
        rows = self._db.execute("SELECT seq, key, kind, size FROM records WHERE rank <= ? ORDER BY rank, seq", (kind.rank,))
        for seq, key, victim_kind, size in rows:
            victims.append((seq, key, victim_kind))
            need -= size
            if need <= 0:
                return victims
        return None

    def _expire(self, now: float) -> int:
        gone = self._db.execute(
            "SELECT kind, count(*) FROM records WHERE expires IS NOT NULL AND expires <= ? GROUP BY kind", (now,)
        ).fetchall()
        if not gone:
            return 0
        self._db.execute("DELETE FROM records WHERE expires IS NOT NULL AND expires <= ?", (now,))
        for kind, n in gone:
            self._count(f"expired.{kind}", n)
            log.warning("outbox.expired", kind=kind, records=n)
        return sum(n for _, n in gone)

    def _count(self, name: str, n: int) -> None:
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
            (name, n, n),
        )


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
