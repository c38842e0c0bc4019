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
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np

from agent.clock import Clock
from agent.stream import Chunk
from drivers.replay.recording import Track

CHUNK_S = 0.25


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


async def play(
    tracks: Sequence[Track],
    *,
    device_id: str,
    clock: Clock,
    speed: float | None,
    part: Slice = Slice(),
    loop: bool = False,
) -> AsyncIterator[Chunk]:
    """Chunks of ``tracks`` on ``clock`` (``speed`` None: as fast as consumed)."""
    span_s = part.end_s(tracks) - part.start_s
    bounds = [part.bounds(t) for t in tracks]
    first_seq = [t.seq_at(lo) if lo < hi else 0 for t, (lo, hi) in zip(tracks, bounds, strict=True)]
    seq_base = [0] * len(tracks)
    start = clock.now()
    while True:
        async for chunk in _one_pass(tracks, bounds, first_seq, seq_base, device_id, clock, speed, start, part.start_s):
            yield chunk
        if not loop or span_s <= 0:
            return
        # The next pass continues each stream's seq and the timeline without a gap.
        for i, (t, (lo, hi)) in enumerate(zip(tracks, bounds, strict=True)):
            if hi > lo:
                seq_base[i] += t.seq_at(hi - 1) - first_seq[i] + 1
        start += span_s / (speed or 1.0)


async def _one_pass(
    tracks: Sequence[Track],
    bounds: Sequence[tuple[int, int]],
    first_seq: Sequence[int],
    seq_base: Sequence[int],
    device_id: str,
    clock: Clock,
    speed: float | None,
    start: float,
    origin_s: float,
) -> AsyncIterator[Chunk]:
    pos = [lo for lo, _ in bounds]
    pace = speed or 1.0
    while True:
        active = [i for i, (_, hi) in enumerate(bounds) if pos[i] < hi]
        if not active:
            return
        next_off = min(tracks[i].offset(pos[i]) for i in active)
        window_end = origin_s + (math.floor((next_off - origin_s) / CHUNK_S) + 1) * CHUNK_S
        batch: list[tuple[float, int, Chunk]] = []
        for i in active:
            track = tracks[i]
            stop = min(bounds[i][1], track.index_at(window_end))
            if track.offset(pos[i]) == next_off:
                stop = max(stop, pos[i] + 1)  # float rounding must never stall playback
            while pos[i] < stop:
                lo, hi = pos[i], _unbroken(track, pos[i], stop)
                pos[i] = hi
                offsets = track.offsets(lo, hi)
                chunk = Chunk(
                    device_id=device_id,
                    spec=track.spec,
                    seq=seq_base[i] + track.seq_at(lo) - first_seq[i],
                    t=start + (offsets - origin_s) / pace,
                    x=track.x[lo:hi],
                    device_t=track.device_origin + offsets,
                )
                batch.append((float(offsets[-1]), i, chunk))
        batch.sort(key=lambda b: (b[0], b[1]))
        for _, _, chunk in batch:
            if speed is None:
                await asyncio.sleep(0)
            else:
                await clock.sleep_until(float(chunk.t[-1]))
            yield chunk


def _unbroken(track: Track, lo: int, hi: int) -> int:
    """End of the run from ``lo`` (before ``hi``) whose seq has no jump."""
    if track.seq is None or hi - lo < 2:
        return hi
    jumps = np.flatnonzero(np.diff(track.seq[lo:hi]) != 1)
    return lo + int(jumps[0]) + 1 if jumps.size else hi
