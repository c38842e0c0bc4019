"""A recording opened for ``edge-agent replay`` and for training: no clock, no event loop.

The agent's replay (``agent.replay``) reaches this through the replay
driver's ``recorded()`` classmethod, so ``agent`` never imports ``drivers``.
Chunks come a block of windows at a time, each block with the time up to
which it completes every stream; the recording's ``label`` stream, where it
has one, is kept aside for looking up the label in force at each tick.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from agent.plugin import Chunk
from drivers.replay.playback import CHUNK_S, Playback, Slice, samples_in
from drivers.replay.recording import Track

LABEL_STREAM = "label"


class Recorded:
    def __init__(self, path: Path, tracks: list[Track], *, device_id: str, part: Slice = Slice(),
                 chunk_s: float = CHUNK_S) -> None:
        self.path = path
        labels = [t for t in tracks if t.name == LABEL_STREAM]
        self.signals = [t for t in tracks if t.name != LABEL_STREAM]
        self.labels: Track | None = labels[0] if labels else None
        self.device_id = device_id
        self.part = part
        self.chunk_s = chunk_s
        self.duration_s = part.end_s(tracks) - part.start_s
        self.samples = samples_in(self.signals, part)

    @property
    def has_label(self) -> bool:
        return self.labels is not None

    @property
    def stream_names(self) -> list[str]:
        return [t.name for t in self.signals]

    def blocks(self) -> Iterator[tuple[float, list[Chunk]]]:
        """(complete up to, chunks) from the start; times are seconds from the slice's start."""
        playback = Playback(self.signals, device_id=self.device_id, clock=None, speed=None, part=self.part,
                            chunk_s=self.chunk_s)
        return playback.blocks()

    def label_at(self, t: float) -> float | None:
        """The label in force at ``t`` (seconds from the slice's start); None before it starts."""
        if self.labels is None:
            return None
        labels, offset = self.labels, t + self.part.start_s
        if labels.times_s is not None:
            i = int(np.searchsorted(labels.times_s, offset, side="right")) - 1
        else:
            assert labels.spec.rate_hz is not None
            i = math.floor((offset - labels.start_s) * labels.spec.rate_hz + 1e-6)  # the last sample at or before t
        if i < 0:
            return None
        i = min(i, len(labels) - 1)
        value = float(self.labels.x[i, 0])
        return value if np.isfinite(value) else None
