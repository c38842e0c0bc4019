"""The ``replay`` driver: a recording file played as a live device.

Connecting resolves the path, detects the format and loads the selected
streams in a worker thread (parsing a large CSV must not stall other
devices). ``chunks()`` then plays them on the agent clock; a finished
recording ends the iterator unless ``loop`` is set.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar, Self

from agent.clock import Clock
from agent.datasets import data_root
from agent.driver import DriverContext, Discovered
from agent.errors import ConfigError
from agent.stream import Chunk
from drivers.replay.formats import find_recordings, open_recording
from drivers.replay.playback import Slice, play, samples_in
from drivers.replay.plugin import ReplayOptions
from drivers.replay.recording import Track


def resolve(path: Path) -> Path:
    """Relative paths are inside the shared data folder."""
    return path if path.is_absolute() else data_root() / path


class ReplayDriver:
    options: ClassVar[type[ReplayOptions]] = ReplayOptions

    def __init__(self, options: ReplayOptions, context: DriverContext) -> None:
        self._options = options
        self._context = context
        self._tracks: list[Track] | None = None
        self.path = resolve(options.path)

    @property
    def clock(self) -> Clock:
        return self._context.clock

    @property
    def tracks(self) -> list[Track]:
        if self._tracks is None:
            raise RuntimeError("the replay driver is not connected; use 'async with'")
        return self._tracks

    async def __aenter__(self) -> Self:
        opts = self._options
        tracks = await asyncio.to_thread(open_recording, self.path, opts.format, opts.streams)
        part = Slice(opts.start_s, opts.duration_s)
        if not samples_in(tracks, part):
            raise ConfigError(
                f"{self.path}: no samples between {opts.start_s} s and {part.end_s(tracks):.3f} s of the recording",
                source=str(self.path),
                field="start_s",
            )
        self._tracks = tracks
        self._context.log.info(
            "replay.loaded",
            path=str(self.path),
            streams={t.name: len(t) for t in tracks},
            duration_s=round(max(t.end_s() for t in tracks), 3),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._tracks = None

    def chunks(self) -> AsyncIterator[Chunk]:
        opts = self._options
        return play(
            self.tracks,
            device_id=self._context.device_id,
            clock=self.clock,
            speed=None if opts.speed == "max" else float(opts.speed),
            part=Slice(opts.start_s, opts.duration_s),
            loop=opts.loop,
        )

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        """Every playable recording under the shared data folder; address = its relative path."""
        root = data_root()
        if not root.is_dir():
            return []
        found = await asyncio.to_thread(find_recordings, root, deadline=time.monotonic() + timeout_s)
        return [
            Discovered(driver="replay", name=rel.name, address=rel.as_posix(), details=f"format {fmt}")
            for rel, fmt in found
        ]
