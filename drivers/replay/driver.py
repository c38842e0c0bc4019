"""The ``replay`` driver: a recording file played as a live device.

Connecting resolves the path, detects the format and loads the selected
streams in a worker thread (parsing a large CSV must not stall other
devices). ``chunks()`` then plays them on the agent clock; a finished
recording ends the iterator unless ``loop`` is set.

The supervisor keeps one driver instance for a device's life and enters it
again after a drop (a stall, when a recording goes silent for longer than
the stall limit). The loaded recording and its :class:`Playback` are kept
across such reconnects, so the recording's timeline runs on like a real
device's: seq keeps counting and what fell due while disconnected is a gap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar, Self

from agent.plugin import Chunk, ConfigError, Discovered, DriverContext, data_root
from drivers.replay.formats import find_recordings, open_recording
from drivers.replay.playback import CHUNK_S, Playback, Slice, samples_in
from drivers.replay.plugin import ReplayOptions
from drivers.replay.recorded import LABEL_STREAM, Recorded
from drivers.replay.recording import RecordingUnreadable, Track


def resolve(path: Path) -> Path:
    """Relative paths are inside the shared data folder."""
    return path if path.is_absolute() else data_root() / path


class ReplayDriver:
    options: ClassVar[type[ReplayOptions]] = ReplayOptions

    def __init__(self, options: ReplayOptions, context: DriverContext) -> None:
        self._options = options
        self._context = context
        self.path = resolve(options.path)
        self._playback: Playback | None = None
        self._connected = False

    @property
    def tracks(self) -> list[Track]:
        if self._playback is None:
            raise RuntimeError("the replay driver is not connected; use 'async with'")
        return list(self._playback.tracks)

    async def __aenter__(self) -> Self:
        if self._playback is None:
            self._playback = await self._load()
        self._connected = True
        return self

    async def _load(self) -> Playback:
        opts = self._options
        tracks = await asyncio.to_thread(open_recording, self.path, opts.format, opts.streams)
        part = Slice(opts.start_s, opts.duration_s)
        if not samples_in(tracks, part):
            raise ConfigError(
                f"{self.path}: no samples between {opts.start_s} s and {part.end_s(tracks):.3f} s of the recording",
                source=str(self.path),
                field="start_s",
            )
        self._context.log.info(
            "replay.loaded",
            path=str(self.path),
            streams={t.name: len(t) for t in tracks},
            duration_s=round(max(t.end_s() for t in tracks), 3),
        )
        return Playback(
            tracks,
            device_id=self._context.device_id,
            clock=self._context.clock,
            speed=None if opts.speed == "max" else float(opts.speed),
            part=part,
            loop=opts.loop,
        )

    @classmethod
    def recorded(cls, options: ReplayOptions, device_id: str, chunk_s: float = CHUNK_S) -> Recorded:
        """The recording opened for replay without a clock (blocking); its ``label`` stream kept aside."""
        path = resolve(options.path)
        tracks = open_recording(path, options.format, options.streams, optional=(LABEL_STREAM,))
        part = Slice(options.start_s, options.duration_s)
        recorded = Recorded(path, tracks, device_id=device_id, part=part, chunk_s=chunk_s)
        if not recorded.samples:
            raise RecordingUnreadable(path, f"no samples of {', '.join(recorded.stream_names) or 'any sensor stream'} "
                                            f"between {part.start_s} s and {part.end_s(tracks):.3f} s")
        return recorded

    async def __aexit__(self, *exc_info: object) -> None:
        self._connected = False

    def chunks(self) -> AsyncIterator[Chunk]:
        if self._playback is None or not self._connected:
            raise RuntimeError("the replay driver is not connected; use 'async with'")
        return self._playback.chunks()

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
