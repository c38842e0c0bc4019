"""The VR event journal: every session event the apps send, committed before it is acked.

One SQLite database in WAL mode (``<state_dir>/vr-journal.sqlite3``, beside
the outbox but not in it, so an outbox fsync never delays an ack). It holds
the sessions and their events, and it is the one place that decides what an
event means, in arrival order, inside the transaction that stores it:

- ``(session_id, type, id)`` is unique: a resend is acked again, never stored again;
- one session is open at a time; a ``session_start`` for another session
  supersedes it; an event for a session that ended, was superseded or never
  started gets ``session_closed``, ``superseded`` or ``no_session``.

A session survives agent restarts (clean or ``kill -9``): :meth:`JournalStore.recover`
returns the open session, to resume, and every finished session whose summary
was not yet stored, to summarise. A summary's outbox key is fixed here before
it is first written (:meth:`JournalStore.summary_key`), so a summary rebuilt
after a crash between the outbox's commit and :meth:`JournalStore.mark_summarised`
is the same record, not a second one. Summarised sessions are pruned after
``KEEP_SUMMARISED_S``. Each public method is one transaction.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from agent.outputs.vrlink.messages import APP_MESSAGES, AppEventMessage, Marker, SessionEnd, SessionStart

SCHEMA_VERSION = 1
KEEP_SUMMARISED_S = 7 * 24 * 3600.0  # resends are recognised this long after a session was summarised
MAX_EVENTS_PER_SESSION = 10_000  # an app cannot grow the journal without bound

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id    TEXT PRIMARY KEY,
    state         TEXT NOT NULL CHECK (state IN ('open', 'ended', 'superseded')),
    started       REAL NOT NULL,
    ended         REAL,
    superseded_by TEXT,
    restarts      INTEGER NOT NULL DEFAULT 0,
    summarised    INTEGER NOT NULL DEFAULT 0,
    summary_key   TEXT,  -- the outbox key of its summary, fixed before the first write
    events        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_session ON sessions (state) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    event_id   TEXT,
    wall       REAL NOT NULL,
    client_id  TEXT NOT NULL,
    message    BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_idempotency ON events (session_id, type, event_id);
"""

RECORDED = "recorded"
DUPLICATE = "duplicate"
# the error codes an app gets for an event that cannot be recorded
NO_SESSION = "no_session"
SESSION_CLOSED = "session_closed"
SUPERSEDED = "superseded"
SESSION_FULL = "session_full"


@dataclass(frozen=True, slots=True)
class Submitted:
    """An event as it arrived: wall-clock time, the connection, the typed message."""

    wall: float
    client_id: str
    message: AppEventMessage


@dataclass(frozen=True, slots=True)
class Outcome:
    code: str  # RECORDED, DUPLICATE, or an error code
    session_id: str | None = None
    detail: str = ""
    superseded: str | None = None  # the session this session_start superseded
    retry_after_s: float | None = None  # busy: when to send it again

    @property
    def acked(self) -> bool:
        return self.code in (RECORDED, DUPLICATE)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    wall: float
    client_id: str
    message: AppEventMessage


@dataclass(frozen=True, slots=True)
class StoredSession:
    session_id: str
    state: str  # open, ended, superseded
    ended: float | None
    superseded_by: str | None
    restarts: int
    events: list[StoredEvent] = field(default_factory=list)


def id_key(mid: int | str | None) -> str | None:
    """The id as stored: typed, so 1 and "1" stay different ids."""
    if mid is None:
        return None
    return f"i:{mid}" if isinstance(mid, int) else f"s:{mid}"


class JournalStore:
    """Not thread-safe: one owner (:class:`agent.outputs.vrlink.recording.EventRecorder` runs it on one thread)."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self._db = db
        self.path = path

    @classmethod
    def open(cls, path: Path | None, *, synchronous: str = "FULL") -> JournalStore:
        """``path`` None: in memory (a link without an agent, e.g. tests and vr-tail's peers)."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(":memory:" if path is None else path, isolation_level=None, timeout=10.0,
                             check_same_thread=False)  # one owner thread at a time; created on the loop's
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
            db.execute("PRAGMA foreign_keys=ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"VR journal {path} has schema {version}, newer than this agent's {SCHEMA_VERSION}")
            db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    # -- recording ------------------------------------------------------------

    def record(self, batch: list[Submitted]) -> list[Outcome]:
        """Decide and store a batch of events in arrival order, in one transaction (one fsync)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            out = [self._record_one(s) for s in batch]
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return out

    def _record_one(self, s: Submitted) -> Outcome:
        m = s.message
        open_id = self._open_session()
        session_id = getattr(m, "session_id", None) or open_id  # a marker may leave it out: the open session
        if session_id is None:
            return Outcome(NO_SESSION, None, "no session is open: send session_start first")
        key = id_key(m.id)
        if isinstance(m, SessionStart):
            # A session starts once: a repeated start of the open session is the same event, whatever its id.
            if self._find(session_id, m.type, None if session_id == open_id else key, any_id=session_id == open_id):
                return Outcome(DUPLICATE, session_id)
        elif key is not None and self._find(session_id, m.type, key):
            return Outcome(DUPLICATE, session_id)
        row = self._db.execute(
            "SELECT state, superseded_by, events FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        superseded = None
        if isinstance(m, SessionStart):
            if row is not None:
                return _closed(session_id, row[0], row[1])
            if open_id is not None:
                self._db.execute(
                    "UPDATE sessions SET state = 'superseded', ended = ?, superseded_by = ? WHERE session_id = ?",
                    (s.wall, session_id, open_id),
                )
                superseded = open_id
            self._db.execute("INSERT INTO sessions (session_id, state, started) VALUES (?, 'open', ?)",
                             (session_id, s.wall))
        elif row is None:
            detail = f"session {session_id!r} was never started: send session_start first"
            return Outcome(NO_SESSION, session_id, detail)
        elif row[0] != "open":
            return _closed(session_id, row[0], row[1])
        elif row[2] >= MAX_EVENTS_PER_SESSION:
            return Outcome(SESSION_FULL, session_id, f"session {session_id!r} has {MAX_EVENTS_PER_SESSION} events")
        elif isinstance(m, SessionEnd):
            self._db.execute(
                "UPDATE sessions SET state = 'ended', ended = ? WHERE session_id = ?", (s.wall, session_id)
            )
        wire = m.to_wire()
        if isinstance(m, Marker) and m.session_id is None:
            wire["session_id"] = session_id  # recorded against the session it was sent in
        self._db.execute(
            "INSERT INTO events (session_id, type, event_id, wall, client_id, message) VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, m.type, key, s.wall, s.client_id, msgpack.packb(wire, use_bin_type=True)),
        )
        self._db.execute("UPDATE sessions SET events = events + 1 WHERE session_id = ?", (session_id,))
        return Outcome(RECORDED, session_id, superseded=superseded)

    def _open_session(self) -> str | None:
        row = self._db.execute("SELECT session_id FROM sessions WHERE state = 'open'").fetchone()
        return None if row is None else str(row[0])

    def _find(self, session_id: str, mtype: str, key: str | None, *, any_id: bool = False) -> bool:
        if any_id:
            sql, args = "SELECT 1 FROM events WHERE session_id = ? AND type = ?", (session_id, mtype)
        elif key is None:
            return False
        else:
            sql = "SELECT 1 FROM events WHERE session_id = ? AND type = ? AND event_id = ?"
            args = (session_id, mtype, key)  # type: ignore[assignment]
        return self._db.execute(sql + " LIMIT 1", args).fetchone() is not None

    # -- summaries and restarts --------------------------------------------------

    def summary_key(self, session_id: str) -> str:
        """The idempotency key of the session's summary: the same if a restart has to write it again."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("UPDATE sessions SET summary_key = ? WHERE session_id = ? AND summary_key IS NULL",
                             (str(uuid.uuid4()), session_id))
            row = self._db.execute("SELECT summary_key FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return str(row[0]) if row is not None else str(uuid.uuid4())  # a session the journal never saw

    def mark_summarised(self, session_id: str) -> None:
        self._db.execute("UPDATE sessions SET summarised = 1 WHERE session_id = ? AND state != 'open'", (session_id,))

    def recover(self, now: float | None = None) -> list[StoredSession]:
        """At start: finished sessions not yet summarised (oldest first), then the open one, to resume.

        The open session's restart count goes up by one, in the same transaction.
        """
        now = time.time() if now is None else now
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM sessions WHERE summarised = 1 AND ended < ?", (now - KEEP_SUMMARISED_S,))
            self._db.execute("UPDATE sessions SET restarts = restarts + 1 WHERE state = 'open'")
            rows = self._db.execute(
                "SELECT session_id, state, ended, superseded_by, restarts FROM sessions"
                " WHERE summarised = 0 ORDER BY state = 'open', started"
            ).fetchall()
            sessions = [StoredSession(r[0], r[1], r[2], r[3], r[4], self._events(r[0])) for r in rows]
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return sessions

    def _events(self, session_id: str) -> list[StoredEvent]:
        rows = self._db.execute(
            "SELECT wall, client_id, message FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
        out = []
        for wall, client_id, blob in rows:
            wire: dict[str, Any] = msgpack.unpackb(blob, raw=False)
            msg = APP_MESSAGES[wire["type"]].model_validate(wire)
            assert isinstance(msg, AppEventMessage)
            out.append(StoredEvent(wall, client_id, msg))
        return out

    # -- reading, for tests and the operator ---------------------------------------

    def events(self, session_id: str) -> list[StoredEvent]:
        return self._events(session_id)

    def counts(self) -> dict[str, int]:
        sessions, events = self._db.execute("SELECT count(*), coalesce(sum(events), 0) FROM sessions").fetchone()
        return {"sessions": sessions, "events": events}


def _closed(session_id: str, state: str, by: str | None) -> Outcome:
    if state == "superseded":
        return Outcome(SUPERSEDED, session_id, f"session {session_id!r} was superseded by session {by!r}")
    if state == "open":  # a start of a session that is open: only reached for a start with another id
        return Outcome(DUPLICATE, session_id)
    return Outcome(SESSION_CLOSED, session_id, f"session {session_id!r} has ended")
