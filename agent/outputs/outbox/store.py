"""The durable outbox: SQLite in WAL mode, bounded by size, evicting by rank.

Every record has a UUID idempotency key, a creation time (wall clock, Unix
seconds: the outbox is an edge of the agent) and its kind. A record leaves
the outbox only three ways, and the last two are counted per kind and
reported in the health record (never silent):

- **delivered**: deleted after the broker's PUBACK;
- **evicted**: the outbox would exceed ``max_bytes``. The victim is the
  record of the *lowest rank*, *oldest first* within a rank (health, then
  minute summaries, then session summaries; see
  :mod:`agent.outputs.outbox.kinds`). Only records of the newcomer's rank or lower
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
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from agent.errors import AgentError
from agent.outputs.outbox import recovery
from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.outbox.options import Durability

RECORD_OVERHEAD = 128  # bytes charged per record beyond its payload (key, columns, index entries)
SCHEMA_VERSION = 1
WAL_CHECKPOINT_PAGES = 256
WAL_BYTES = WAL_CHECKPOINT_PAGES * 4096  # the WAL's size between checkpoints (4 KiB pages)
DISK_FULL_EVICT_BYTES = 16 * 1024  # freed at least, by priority, for each record on a full disk (4 pages)

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


class RecordTooLarge(AgentError, ValueError):
    """A single record is bigger than the whole outbox may be: it is refused, the rest kept."""


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
    dropped: dict[str, int] = field(default_factory=dict)  # "reason.kind" -> refused by the disk, since start
    set_aside: dict[str, int] = field(default_factory=dict)  # corrupt files set aside, and the records they held
    not_durable: str | None = None  # the disk refused the file (read_only, io_error): records are in memory only

    def as_dict(self) -> dict[str, object]:
        return {
            "not_durable": self.not_durable,
            "dropped": dict(self.dropped),
            "set_aside": dict(self.set_aside),
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

    Not thread-safe: one owner (see :class:`agent.outputs.outbox.aio.AsyncOutbox`).
    Other processes may read it concurrently (WAL).
    """

    def __init__(self, db: sqlite3.Connection, path: Path, max_bytes: int) -> None:
        self._db = db
        self.path = path
        self.max_bytes = max_bytes
        self.set_aside: Path | None = None  # where a corrupt predecessor was moved at open
        self.not_durable: str | None = None  # why the records are only in memory, if they are
        self.reserve = recovery.Reserve(path.with_name(path.name + ".reserve"), WAL_BYTES)
        if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            self.reserve.restore()
        self.dropped: Counter[str] = Counter()  # "reason.kind" -> records the disk would not take

    @classmethod
    def open(cls, path: Path, *, max_bytes: int, durability: Durability = Durability.FULL) -> Outbox:
        """Open or create the outbox; a corrupt file is set aside and a fresh one made (see recovery)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return cls(cls._connect(path, durability), path, max_bytes)
        except sqlite3.OperationalError as exc:
            reason = recovery.write_refused(exc)
            if reason is None:
                raise
            # A read-only or failing state directory must not stop the patient's adaptation:
            # keep records in memory (bounded by max_bytes, still sent), and say so in health.
            log.error("outbox.not_durable", path=str(path), reason=reason, error=str(exc))
            outbox = cls(cls._connect(Path(":memory:"), durability), path, max_bytes)
            outbox.not_durable = reason
            return outbox
        except sqlite3.DatabaseError as exc:
            if not recovery.is_corrupt(exc):
                raise
            aside, held = recovery.set_aside(path, f"{type(exc).__name__}: {exc}")
        outbox = cls(cls._connect(path, durability), path, max_bytes)
        with outbox._transaction():
            outbox._count("set_aside.files", 1)
            if held:
                outbox._count("set_aside.records", held)
        outbox.set_aside = aside
        return outbox

    @staticmethod
    def _connect(path: Path, durability: Durability) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, timeout=10.0)  # autocommit: we BEGIN ourselves
        try:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                # only in a new file, before WAL and tables: lets a full disk take freed pages back
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={durability.value.upper()}")
            # A small disk is filled by a 4 MB WAL long before the outbox is full: checkpoint at
            # 1 MB and truncate the WAL back to it, so eviction keeps room to work in.
            db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            db.execute(f"PRAGMA journal_size_limit={WAL_BYTES}")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"outbox {path} has schema {version}, newer than this agent's {SCHEMA_VERSION}")
            recovery.check(db)
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        except BaseException:
            db.close()
            raise
        return db

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
        # Under disk pressure (the reserve spent) every record first makes its own room, by priority.
        freed = self._evict_for_disk(kind, size) or () if self.reserve.spent else ()
        try:
            result = self._put(kind, payload, key, created, size)
            if self.reserve.spent:
                self.reserve.restore()
            return PutResult(result.record, freed + result.evicted)
        except sqlite3.OperationalError as exc:
            reason = recovery.write_refused(exc)
            if reason is None:
                raise
        if reason == "disk_full":
            # Room for SQLite to work in (even a delete is written to the WAL first), the WAL
            # folded into the file, then records by priority given back to the file system.
            self.reserve.release()
            more_room = max(2 * size, DISK_FULL_EVICT_BYTES)
            for make_room in (self._checkpoint, lambda: self._evict_for_disk(kind, more_room)):
                more = make_room()
                if more is None:
                    continue
                freed += more
                try:
                    result = self._put(kind, payload, key, created, size)
                except sqlite3.OperationalError as exc:
                    if recovery.write_refused(exc) is None:
                        raise
                else:
                    return PutResult(result.record, freed + result.evicted)
        self.dropped[f"{reason}.{kind}"] += 1
        log.error("outbox.dropped", kind=str(kind), key=key, reason=reason)
        return PutResult(None, (*freed, (str(kind), key)))

    def _put(self, kind: RecordKind, payload: bytes, key: str, created: float, size: int) -> PutResult:
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

    def _checkpoint(self) -> tuple[tuple[str, str], ...] | None:
        """Copy the WAL into the database and start it over, in the space it already has (a
        delete, too, must be written to the WAL first); () if it did, None if it could not."""
        try:
            busy = self._db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if recovery.write_refused(exc) is None:
                raise
            return None
        return None if busy else ()

    def _evict_for_disk(self, kind: RecordKind, need: int) -> tuple[tuple[str, str], ...] | None:
        """On a full disk, delete ``need`` bytes of records the newcomer outranks or equals (all of
        them if fewer), lowest and oldest first, and give their pages back to the file system.
        None if nothing may go or the disk refused even that."""
        victims = self._victims(kind, need=need) or self._db.execute(
            "SELECT seq, key, kind FROM records WHERE rank <= ? ORDER BY rank, seq", (kind.rank,)
        ).fetchall()
        if not victims:
            return None
        try:
            with self._transaction():
                for seq, _, victim_kind in victims:
                    self._db.execute("DELETE FROM records WHERE seq = ?", (seq,))
                    self._count(f"evicted.{victim_kind}", 1)
            # hand the freed pages back to the file system (the file shrinks at the checkpoint)
            self._db.execute("PRAGMA incremental_vacuum").fetchall()
            self._checkpoint()
        except sqlite3.OperationalError as exc:
            if recovery.write_refused(exc) is None:
                raise
            return None
        for _, victim_key, victim_kind in victims:
            log.warning("outbox.evicted", kind=victim_kind, key=victim_key, reason="disk full")
        return tuple((k, key) for _, key, k in victims)

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
            dropped=dict(self.dropped),
            not_durable=self.not_durable,
            set_aside={k.removeprefix("set_aside."): v for k, v in counters.items() if k.startswith("set_aside.")},
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
