"""From an app's event to its one answer: admission, group commit to the journal, ack or error.

    journal = await EventJournal.open(state_dir / "vr-journal.sqlite3")   # the agent's; None: in memory
    recorder = EventRecorder(journal, capacity=1024, clock=clock)
    retry = recorder.offer(link, message)    # None: accepted, the answer follows; else busy, retry after that
    async for event in recorder.events(): ...  # each event newly recorded, once, in order

Every event that carries an ``id`` gets exactly one answer: an ``ack`` once
its transaction has committed (so it survives ``kill -9``), an error from the
journal (``no_session``, ``session_closed``, ``superseded``, ``session_full``),
or at once ``busy`` when ``capacity`` events are already waiting to be
committed or consumed. Events are committed in batches, one transaction
(and one fsync) for everything that arrived while the previous one was
written, so a burst costs a few commits, not one per event.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self, TypeVar

import structlog

from agent.base.clock import Clock
from agent.base.queues import BoundedQueue, Overflow, QueueClosed
from agent.errors import ConfigError
from agent.outputs.vrlink.journal import RECORDED, JournalStore, Outcome, StoredSession, Submitted
from agent.outputs.vrlink.latency import LatencyHistogram
from agent.outputs.vrlink.messages import Marker, PainRating, SessionEnd, SessionStart

log = structlog.get_logger("edge_agent.vrlink")
T = TypeVar("T")
AppMessage = SessionStart | SessionEnd | Marker | PainRating
MAX_BATCH = 512  # events per transaction
MIN_RETRY_S, MAX_RETRY_S = 0.05, 5.0
JOURNAL_FILE = "vr-journal.sqlite3"  # in the agent's state directory, beside the outbox


@dataclass(frozen=True, slots=True)
class AppEvent:
    """Something an app told the agent, stamped on arrival with agent-clock time; recorded once."""

    t: float
    client_id: str
    peer: str  # "uid=... gid=... pid=..." or "tcp 127.0.0.1:PORT", for the record
    message: AppMessage


class Answerer(Protocol):
    """The connection an event came from: it sends the answer, if it is still there."""

    client_id: str
    peer: str

    def answer(self, message: AppMessage, outcome: Outcome) -> None: ...

    def notice_superseded(self, session_id: str, by: str, by_client: str) -> None: ...

    @property
    def connected(self) -> bool: ...


class EventJournal:
    """:class:`JournalStore` behind awaitables, on one dedicated thread (a commit waits for an fsync)."""

    def __init__(self, executor: ThreadPoolExecutor, store: JournalStore) -> None:
        self._executor = executor
        self.store = store

    @classmethod
    async def open(cls, path: Path | None, *, synchronous: str = "FULL") -> Self:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vr-journal")
        opener = functools.partial(JournalStore.open, path, synchronous=synchronous)
        try:
            store = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, store)

    @classmethod
    async def in_state_dir(cls, state_dir: Path, *, synchronous: str = "FULL") -> Self:
        """The agent's journal; ConfigError if it cannot be opened (an unwritable state directory)."""
        path = state_dir / JOURNAL_FILE
        try:
            return await cls.open(path, synchronous=synchronous)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the VR event journal at {path}: {exc}; set [agent] state_dir "
                              "to a writable place (the systemd unit's StateDirectory=)") from exc

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._run(self.store.close)
        self._executor.shutdown(wait=True)

    async def record(self, batch: list[Submitted]) -> list[Outcome]:
        return await self._run(functools.partial(self.store.record, batch))

    async def recover(self) -> list[StoredSession]:
        return await self._run(self.store.recover)

    async def summary_key(self, session_id: str) -> str:
        return await self._run(functools.partial(self.store.summary_key, session_id))

    async def mark_summarised(self, session_id: str) -> None:
        await self._run(functools.partial(self.store.mark_summarised, session_id))

    async def _run(self, fn: Callable[[], T]) -> T:
        # shield: a cancelled caller must not abandon a half-done transaction; the thread finishes it anyway
        return await asyncio.shield(asyncio.get_running_loop().run_in_executor(self._executor, fn))


class EventRecorder:
    def __init__(self, journal: EventJournal, capacity: int, clock: Clock) -> None:
        self.journal = journal
        self.capacity = capacity
        self.clock = clock
        self.recorded: BoundedQueue[AppEvent] = BoundedQueue("vrlink.events", capacity, Overflow.DROP_NEWEST)
        self.ack_latency = LatencyHistogram()  # arrival -> answer queued, commit included
        self.counts: dict[str, int] = {}
        self._intake: deque[tuple[Submitted, Answerer, float, int]] = deque()
        self._committing = 0
        self._wake = asyncio.Event()
        self._closed = False
        self._owner: tuple[str, Answerer] | None = None  # the open session and the link that last spoke for it
        self._s_per_event = 0.001  # moving average of commit time per event, for the retry hint
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._commit_loop(), name="vrlink-journal")

    async def close(self) -> None:
        """Answer everything accepted, then end :meth:`events` once the agent has taken what is left."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
        self.recorded.close()

    @property
    def waiting(self) -> int:
        return len(self._intake) + self._committing + len(self.recorded)

    def offer(self, link: Answerer, message: AppMessage) -> float | None:
        """Accept an event for commit (None), or refuse it: the seconds after which to send it again."""
        if self._closed or self.waiting >= self.capacity:
            self._count("busy")
            return round(min(MAX_RETRY_S, max(MIN_RETRY_S, self.waiting * self._s_per_event)), 3)
        self._intake.append((Submitted(time.time(), link.client_id, message), link, self.clock.now(),
                             time.perf_counter_ns()))
        self._wake.set()
        return None

    async def events(self) -> AsyncIterator[AppEvent]:
        while True:
            try:
                yield await self.recorded.get()
            except QueueClosed:
                return

    async def _commit_loop(self) -> None:
        while True:
            if not self._intake:
                if self._closed:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._intake.popleft() for _ in range(min(MAX_BATCH, len(self._intake)))]
            self._committing = len(batch)
            started = time.perf_counter()
            try:
                outcomes = await self.journal.record([b[0] for b in batch])
            except (sqlite3.Error, OSError) as exc:  # a full or broken disk: nothing in the batch was recorded
                log.error("vrlink.journal_failed", error=str(exc), events=len(batch))
                self._count("journal_failed")
                retry = round(MAX_RETRY_S / 5, 3)
                outcomes = [Outcome("busy", None, f"the agent could not record it ({exc}); send it again later",
                                    retry_after_s=retry)] * len(batch)
            finally:
                self._committing = 0
            per_event = (time.perf_counter() - started) / len(batch)
            self._s_per_event = 0.8 * self._s_per_event + 0.2 * per_event
            for (submitted, link, t, arrived_ns), outcome in zip(batch, outcomes, strict=True):
                self._answer(submitted, link, t, outcome)
                self.ack_latency.add(time.perf_counter_ns() - arrived_ns)

    def _answer(self, submitted: Submitted, link: Answerer, t: float, outcome: Outcome) -> None:
        msg = submitted.message
        self._count(outcome.code)
        if outcome.code == RECORDED:
            # Admission left room for it: waiting counts what is in this queue.
            self.recorded.put(AppEvent(t, link.client_id, link.peer, msg))  # type: ignore[arg-type]
        if outcome.superseded is not None and self._owner is not None:
            old, owner = self._owner
            if old == outcome.superseded and owner is not link and owner.connected:
                owner.notice_superseded(old, str(outcome.session_id), link.client_id)
        # Only an open session records anything, so what was just recorded names it (or ended it).
        if outcome.code == RECORDED and outcome.session_id is not None:
            self._owner = None if isinstance(msg, SessionEnd) else (outcome.session_id, link)
        elif outcome.acked and self._owner is not None and self._owner[0] == outcome.session_id:
            self._owner = (outcome.session_id, link)  # a resend after a reconnect: this link speaks for it now
        link.answer(msg, outcome)

    def _count(self, code: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1

    def stats(self) -> dict[str, object]:
        return {"waiting": self.waiting, "capacity": self.capacity, "outcomes": dict(sorted(self.counts.items())),
                "ack_latency_ms": self.ack_latency.summary_ms()}


async def in_memory_journal() -> EventJournal:
    """A journal for a link without an agent (tests, benchmarks): the same rules, nothing on disk."""
    return await EventJournal.open(None, synchronous="OFF")

