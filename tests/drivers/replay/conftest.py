"""Helpers for the replay driver tests: the real shared recordings, played through the driver."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.datasets import data_root
from agent.base.driver import DriverContext, bound_logger
from agent.base.stream import Chunk
from drivers.replay.driver import ReplayDriver
from drivers.replay.plugin import ReplayOptions


@pytest.fixture(scope="session")
def data() -> Path:
    root = data_root()
    assert (root / "README.md").is_file(), f"the shared recordings are missing from {root}"
    return root


def _make_driver(clock: Clock | None = None, **options: Any) -> ReplayDriver:
    context = DriverContext("replay-test", clock or Clock(), bound_logger("replay-test"))
    return ReplayDriver(ReplayOptions(**options), context)


@dataclass
class Played:
    """Everything one playback yielded, in order, grouped by stream too."""

    chunks: list[Chunk] = field(default_factory=list)
    by_stream: dict[str, list[Chunk]] = field(default_factory=lambda: defaultdict(list))
    arrivals: list[float] = field(default_factory=list)  # clock.now() when each chunk came out
    tracks: dict[str, Any] = field(default_factory=dict)

    def joined(self, stream: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(seq per sample, t, x, device_t) of a stream, concatenated."""
        cs = self.by_stream[stream]
        seq = np.concatenate([np.arange(c.seq, c.next_seq) for c in cs])
        return (
            seq,
            np.concatenate([c.t for c in cs]),
            np.concatenate([c.x for c in cs]),
            np.concatenate([c.device_t for c in cs]),
        )


async def _play(clock: Clock | None = None, limit: int | None = None, **options: Any) -> Played:
    """Play a recording through the driver; stop after ``limit`` samples of any stream if given."""
    clock = clock or Clock()
    out = Played()
    async with _make_driver(clock, **options) as driver:
        out.tracks = {t.name: t for t in driver.tracks}
        async with aclosing(driver.chunks()) as stream:  # type: ignore[type-var]
            async for item in stream:
                out.arrivals.append(clock.now())
                out.chunks.append(item)
                out.by_stream[item.spec.name].append(item)
                if limit is not None and sum(map(len, out.by_stream[item.spec.name])) >= limit:
                    break
    return out


@pytest.fixture
def make_driver() -> Callable[..., ReplayDriver]:
    """``make_driver(clock=None, **options)``: a replay driver, not yet connected."""
    return _make_driver


@pytest.fixture
def play() -> Callable[..., Awaitable[Played]]:
    """``await play(clock=None, limit=None, **options)``: connect, play, collect every chunk."""
    return _play
