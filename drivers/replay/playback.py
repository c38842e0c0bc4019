"""Turning loaded tracks into live chunks: slicing, pacing, interleaving, looping.

Time is cut into windows of :data:`CHUNK_S` seconds of recording; each
stream's samples in a window form one chunk (split where the recording's
own seq jumps, so a chunk never hides a gap). Chunks come out in the order
of their last sample, across all streams, so the output interleaves like
live devices do. A sample at recording offset ``o`` is stamped
``t = start + (o - start_s) / speed`` where ``start`` is the clock when
playback began; in real-time mode each chunk is released when its last
sample is due. At ``speed=None`` ("max") nothing waits: timestamps follow
the recording's own timeline from ``start`` and the loop only yields to the
event loop between chunks.

A :class:`Playback` outlives one ``chunks()`` iteration, as a device
outlives one connection: iterating again resumes the same timeline. In
real time the recording kept running meanwhile, so what fell due while
nobody listened is skipped and shows as a seq gap, as it would from a live
device; at "max" playback resumes at the next unplayed sample.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from agent.plugin import Chunk, Clock
from drivers.replay.recording import Track

CHUNK_S = 0.25
_BLOCK_WINDOWS = 64  # windows scheduled at once: 16 s of recording


@dataclass(frozen=True, slots=True)
class Slice:
    """The part of the recording to play, in seconds from its start."""

    start_s: float = 0.0
    duration_s: float | None = None

    def end_s(self, tracks: Sequence[Track]) -> float:
        if self.duration_s is not None:
            return self.start_s + self.duration_s
        return max(t.end_s() for t in tracks)

    def bounds(self, track: Track) -> tuple[int, int]:
        """Index range ``lo:hi`` of the track's samples inside the slice."""
        lo = track.index_at(self.start_s)
        hi = len(track) if self.duration_s is None else track.index_at(self.start_s + self.duration_s)
        return lo, max(lo, hi)


def samples_in(tracks: Sequence[Track], part: Slice) -> int:
    return sum(hi - lo for lo, hi in map(part.bounds, tracks))


class Playback:
    """The play position in a set of tracks, on one timeline (``speed`` None: "max")."""

    def __init__(
        self,
        tracks: Sequence[Track],
        *,
        device_id: str,
        clock: Clock | None,  # None: only blocks() (replay without a clock)
        speed: float | None,
        part: Slice = Slice(),
        loop: bool = False,
        chunk_s: float = CHUNK_S,
    ) -> None:
        self.tracks = tracks
        self.device_id = device_id
        self.clock = clock
        self.speed = speed
        self.part = part
        self.loop = loop
        self.chunk_s = chunk_s
        self.span_s = part.end_s(tracks) - part.start_s
        self.bounds = [part.bounds(t) for t in tracks]
        self._first_seq = [t.seq_at(lo) if lo < hi else 0 for t, (lo, hi) in zip(tracks, self.bounds, strict=True)]
        self._seq_base = [0] * len(tracks)
        self._pos = [lo for lo, _ in self.bounds]  # next sample to deliver, per track
        self._start: float | None = None  # clock time of the current pass's recording start
        self.passes = 0

    @property
    def _pace(self) -> float:
        return self.speed or 1.0

    async def chunks(self) -> AsyncIterator[Chunk]:
        """Chunks from the current position on; ends with the recording unless looping."""
        assert self.clock is not None, "chunks() paces on a clock"
        if self._start is None:
            # The timeline starts on a whole second of agent time, so the samples lie on the core's
            # tick grid exactly as in `edge-agent replay` (which starts at 0): the same decisions.
            self._start = float(math.ceil(self.clock.now()))
        elif self.speed is not None:
            self._catch_up(self.clock.now())
        while True:
            async for chunk in self._rest_of_pass():
                yield chunk
            if not self.loop or self.span_s <= 0:
                return
            self._next_pass()

    def _next_pass(self) -> None:
        """Continue each stream's seq and the timeline without a gap."""
        assert self._start is not None
        for i, (t, (lo, hi)) in enumerate(zip(self.tracks, self.bounds, strict=True)):
            if hi > lo:
                self._seq_base[i] += t.seq_at(hi - 1) - self._first_seq[i] + 1
            self._pos[i] = lo
        self._start += self.span_s / self._pace
        self.passes += 1

    def _catch_up(self, now: float) -> None:
        """Skip what fell due while nobody listened."""
        assert self._start is not None
        while self.loop and self.span_s > 0 and (now - self._start) * self._pace >= self.span_s:
            self._next_pass()
        due = self.part.start_s + (now - self._start) * self._pace
        for i, (track, (_, hi)) in enumerate(zip(self.tracks, self.bounds, strict=True)):
            self._pos[i] = max(self._pos[i], min(hi, track.index_at(due)))

    async def _rest_of_pass(self) -> AsyncIterator[Chunk]:
        for _, pieces in self._blocks():
            for i, hi, chunk in pieces:
                if self.speed is None:
                    await asyncio.sleep(0)
                else:
                    await self.clock.sleep_until(float(chunk.t[-1]))
                self._pos[i] = hi  # delivered: a later iteration resumes after it
                yield chunk

    def blocks(self) -> Iterator[tuple[float, list[Chunk]]]:
        """The whole pass without waiting, a block of windows at a time, with the time up to which
        each block completes every stream (for replay, which needs no clock)."""
        if self._start is None:
            self._start = 0.0
        for until, pieces in self._blocks():
            for i, hi, _ in pieces:
                self._pos[i] = hi
            yield until, [chunk for _, _, chunk in pieces]

    def _blocks(self) -> Iterator[tuple[float, list[tuple[int, int, Chunk]]]]:
        assert self._start is not None
        tracks, bounds, origin_s, start = self.tracks, self.bounds, self.part.start_s, self._start
        chunk_s = self.chunk_s
        scheduled = list(self._pos)
        while True:
            active = [i for i, (_, hi) in enumerate(bounds) if scheduled[i] < hi]
            if not active:
                return
            # Schedule a block of windows at a time, from the window of the
            # earliest pending sample (so long gaps cost nothing).
            next_off = min(tracks[i].offset(scheduled[i]) for i in active)
            first_window = math.floor((next_off - origin_s) / chunk_s)
            edges = origin_s + np.arange(first_window + 1, first_window + _BLOCK_WINDOWS + 1) * chunk_s
            pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # lo, hi, last offset, track
            stamps: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}  # track -> (first index, t, device_t)
            for i in active:
                track, lo = tracks[i], scheduled[i]
                cuts = np.clip(track.indices_at(edges), lo, bounds[i][1])
                if track.offset(lo) == next_off:
                    cuts[-1] = max(int(cuts[-1]), lo + 1)  # float rounding must never stall playback
                stop = int(cuts[-1])
                if track.seq is not None and stop - lo > 1:  # a chunk never hides a gap: cut at seq jumps
                    cuts = np.concatenate((cuts, lo + 1 + np.flatnonzero(np.diff(track.seq[lo:stop]) != 1)))
                cuts = np.unique(np.concatenate(([lo], cuts)))
                if cuts.shape[0] > 1:
                    his = cuts[1:]
                    pieces.append((cuts[:-1], his, track.offsets_of(his - 1), np.full(his.shape[0], i)))
                    offsets = track.offsets(lo, stop)
                    stamps[i] = (
                        lo,
                        _readonly(start + (offsets - origin_s) / self._pace),
                        _readonly(track.device_origin + offsets),
                    )
                scheduled[i] = stop
            los, his, lasts, which = (np.concatenate(p) for p in zip(*pieces, strict=True))
            chunks: list[tuple[int, int, Chunk]] = []
            for k in np.lexsort((which, lasts)).tolist():
                i, lo, hi = int(which[k]), int(los[k]), int(his[k])
                track = tracks[i]
                base, t, device_t = stamps[i]
                chunk = Chunk(
                    device_id=self.device_id,
                    spec=track.spec,
                    seq=self._seq_base[i] + track.seq_at(lo) - self._first_seq[i],
                    t=t[lo - base : hi - base],
                    x=track.x[lo:hi],
                    device_t=device_t[lo - base : hi - base],
                )
                chunks.append((i, hi, chunk))
            yield start + (float(edges[-1]) - origin_s) / self._pace, chunks


def _readonly(a: np.ndarray) -> np.ndarray:
    """Read-only, so each chunk's slice of it is shared rather than copied."""
    a.setflags(write=False)
    return a
