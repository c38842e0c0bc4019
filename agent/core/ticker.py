"""Ordered inputs in, one feature vector per tick out: the front half of the core.

Everything that can change a decision enters here: sensor chunks, device
events (Gap, Quality, Connected, Disconnected) and session events from the
VR app. Arrival order between streams is whatever the transport gave
(asyncio in the live agent, a merge by sample time in replay); the ticker
makes it irrelevant:

- Ticks lie on a fixed grid of data time, ``k / tick_hz`` seconds.
- Each stream keeps a FIFO of its chunks and events. A tick at ``T`` feeds
  each stream exactly its samples with ``t <= T`` (a chunk is split at
  ``T``), as one block per seq-continuous run, then computes the feature
  vector. So the processors see the same blocks however the input was
  chunked, and the output is the same byte for byte.
- A tick at ``T`` is decided once every live stream has delivered data past
  ``T`` (its *watermark*), or when the caller says all data up to ``T`` is
  in (:meth:`advance`): replay after each window of the recording, the live
  agent once a stream is ``lateness_s`` late. A disconnected device's
  streams stop holding the watermark back until they deliver again.
- A stream read behind the tick (a strap's beat-to-beat intervals, by
  ``rr_behind_s``; see :meth:`FeatureExtractor.behind_s`) is fed and
  waited for only up to ``T - behind``, so its notifications, about one a
  second, do not hold ticks back and then release four at once. An arrival
  decides no tick past the newest sample of any stream; the live agent's
  clock (:meth:`due`) decides those whose data is all in, up to its time.
- Ticking starts once ``lateness_s`` of data has been seen, from the first
  grid point at or after the earliest first sample, so a stream that
  connects a little after another still counts from the start.
- A session event at ``t`` is handed over with the first tick at or after ``t``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from agent.base.events import Connected, DeviceEvent, Disconnected, Gap, Quality
from agent.base.session import SessionEvent
from agent.base.stream import Chunk
from agent.core.features import FeatureExtractor, FeatureVector

CoreInput = Chunk | DeviceEvent | SessionEvent


@dataclass(frozen=True, slots=True)
class Tick:
    """One decided tick: its feature vector and the session events that took effect at it."""

    features: FeatureVector
    events: tuple[SessionEvent, ...] = ()


class _Stream:
    """One stream's undelivered chunks and events, in arrival order."""

    __slots__ = ("key", "behind", "pending", "offset", "hwm", "first_t", "live")

    def __init__(self, key: tuple[str, str], first_t: float, behind: float) -> None:
        self.key = key
        self.behind = behind  # a tick at T takes this stream's samples up to T - behind
        self.pending: deque[Chunk | Gap | Quality] = deque()
        self.offset = 0  # samples of pending[0] already delivered, when it is a chunk
        self.hwm = -math.inf  # newest sample time received
        self.first_t = first_t
        self.live = True


class Ticker:
    """``watermarks`` False: ticks are decided only by :meth:`advance` and :meth:`finish` (replay,
    which knows when a block of the recording is complete; a live stream's first chunk may come late)."""

    def __init__(self, extractor: FeatureExtractor, *, watermarks: bool = True) -> None:
        self.extractor = extractor
        self.watermarks = watermarks
        self.period = extractor.tick_period_s
        self.lateness_s = extractor.config.lateness_s
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._sessions: deque[SessionEvent] = deque()
        self._next_k: int | None = None  # grid index of the next tick to decide
        self.decided_until = -math.inf  # time of the last decided tick
        self.late_samples = 0  # samples that arrived after their tick was decided
        self.ticks = 0

    # -- input ------------------------------------------------------------------------------

    def feed(self, item: CoreInput) -> list[Tick]:
        """Take one input; returns the ticks it completed (often none)."""
        return list(self.feed_lazily(item))

    def feed_lazily(self, item: CoreInput) -> Iterator[Tick]:
        """:meth:`feed`, but each completed tick is computed only when the iterator reaches it, so the live
        agent sends a tick's frame before working on the next one (a strap's chunk often completes two).
        The input is taken at once; the caller takes every tick before its next call."""
        if isinstance(item, Chunk):
            self._chunk(item)
        elif isinstance(item, SessionEvent):
            self._sessions.append(item)
        elif isinstance(item, Gap | Quality):
            self._device_event(item)
        elif isinstance(item, Disconnected):
            for s in self._streams.values():
                if s.key[0] == item.device_id:
                    s.live = False
        elif not isinstance(item, Connected):
            raise TypeError(f"not a core input: {type(item).__name__}")
        return self._ticks(self._watermark()) if self.watermarks else iter(())

    def advance(self, until: float) -> list[Tick]:
        """All data up to ``until`` is in (or is late): decide every tick up to it."""
        return self._decide(until)

    def due(self, now: float) -> list[Tick]:
        """The live agent's clock reads ``now``: decide the ticks up to it whose data is all in.

        Arrivals decide ticks only up to the newest sample, so a strap worn alone would tick four
        at a time as its notifications come; with its intervals read behind, the ticks between
        notifications already have all they take, and the clock releases them one by one."""
        return self._decide(self._watermark(cap=now)) if self.watermarks else []

    def finish(self) -> list[Tick]:
        """The input has ended: decide every tick up to the newest sample."""
        return self._decide(self.newest_t)

    @property
    def newest_t(self) -> float:
        """The newest sample of any stream a feature uses (a recording's other streams, such as its skin
        temperature, may run on: no tick past this has anything of ours)."""
        return max((s.hwm for s in self._streams.values()), default=-math.inf)

    def _chunk(self, chunk: Chunk) -> None:
        if not len(chunk):
            return
        key = chunk.stream_key
        s = self._streams.get(key)
        if s is None:
            if not self.extractor.accepts(chunk):
                return  # a stream no feature uses (labels, temperature, ...) never holds ticks back
            s = self._streams[key] = _Stream(key, float(chunk.t[0]), self.extractor.behind_s(key))
        taken = self.decided_until - s.behind  # this stream's samples the decided ticks have taken
        if chunk.t[0] <= taken:
            self.late_samples += int(np.searchsorted(chunk.t, taken, side="right"))
        s.pending.append(chunk)
        s.hwm = max(s.hwm, float(chunk.t[-1]))
        s.live = True
        self._deliver_early(s)

    def _deliver_early(self, s: _Stream) -> None:
        """Hand over now what the next tick will take anyway: its samples up to that tick.

        The processors compute the same however their input is cut (tested exactly in
        test_features.py), so this changes no output; it moves the signal work from the
        tick that completes to the chunk's arrival, off the latency path.
        """
        if self._next_k is not None:
            self._deliver(s, self._next_k * self.period - s.behind)

    def deliver_ahead(self) -> None:
        """Hand every stream now what the next tick will take (what arrived while an earlier tick was
        pending), and, when the next tick refreshes the window features, have the extractor compute each
        stream's share of it that is complete (:meth:`FeatureExtractor.prepare`).

        The live agent calls this once a reading's frames are out, so that work falls between ticks
        rather than into the next tick's latency. Like :meth:`_deliver_early`, it changes no output
        (the processors compute the same however their input is cut, and cache by their data).
        """
        if self._next_k is None:
            return
        t = self._next_k * self.period
        for s in self._streams.values():
            self._deliver(s, t - s.behind)
        if self.extractor.refreshes(t):
            # only streams that hold all the tick takes: computing a stream still short of it would be
            # repeated at each of its readings until it is not (CPU for nothing); the rest wait for the tick
            self.extractor.prepare(t, [s.key for s in self._streams.values() if s.hwm + s.behind >= t])

    def _device_event(self, ev: Gap | Quality) -> None:
        for key in self.extractor.concerned(ev):  # the ticker's streams are the extractor's accepted ones
            s = self._streams[key]
            s.pending.append(ev)
            self._deliver_early(s)

    # -- deciding ---------------------------------------------------------------------------

    def _watermark(self, cap: float | None = None) -> float:
        """The time up to which every live stream has delivered all that a tick takes, never past ``cap``
        (by default its newest sample)."""
        live = [s for s in self._streams.values() if s.live]
        if not live:
            return -math.inf
        newest = max(s.hwm for s in live)
        if self._next_k is None and newest - self._origin() < self.lateness_s:
            return -math.inf  # not started: wait a moment for every stream to show up
        return min(newest if cap is None else cap, min(s.hwm + s.behind for s in live))

    def _origin(self) -> float:
        return min(s.first_t for s in self._streams.values())

    def _decide(self, until: float) -> list[Tick]:
        return list(self._ticks(until))

    def _ticks(self, until: float) -> Iterator[Tick]:
        if not self._streams or until == -math.inf:
            return
        if self._next_k is None:
            self._next_k = math.ceil(self._origin() / self.period - 1e-9)
        while (t := self._next_k * self.period) <= until:
            for key in sorted(self._streams):
                s = self._streams[key]
                self._deliver(s, t - s.behind)
            events = []
            while self._sessions and self._sessions[0].t <= t:
                events.append(self._sessions.popleft())
            tick = Tick(self.extractor.tick(t), tuple(events))
            self._next_k += 1
            self.decided_until = t
            self.ticks += 1
            yield tick

    def _deliver(self, s: _Stream, t: float) -> None:
        """Hand the stream's processor its samples up to ``t`` and the events among them, in order."""
        ts: list[np.ndarray] = []
        xs: list[np.ndarray] = []
        seq: int | None = None
        run_seq = 0  # the seq the current run continues with

        def flush() -> None:
            nonlocal ts, xs, seq
            if ts:
                t_block = ts[0] if len(ts) == 1 else np.concatenate(ts)
                x_block = xs[0] if len(xs) == 1 else np.concatenate(xs)
                self.extractor.push_samples(s.key, t_block, x_block, seq)
                ts, xs, seq = [], [], None

        pending = s.pending
        while pending:
            head = pending[0]
            if isinstance(head, Chunk):
                lo = s.offset
                if head.t[lo] > t:
                    break
                hi = int(head.t.searchsorted(t, side="right"))
                first = head.seq + lo
                if ts and first != run_seq:
                    flush()  # a jump in seq stays visible to the processor
                if not ts:
                    seq = first
                ts.append(head.t[lo:hi])
                xs.append(head.x[lo:hi])
                run_seq = head.seq + hi
                if hi < len(head):
                    s.offset = hi
                    break
                pending.popleft()
                s.offset = 0
            else:
                if (head.t_start if isinstance(head, Gap) else head.t) > t:
                    break
                flush()
                self.extractor.stream_event(s.key, head)
                pending.popleft()
        flush()
