"""Running simulated devices on a fast clock and gathering what they yield."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from agent.base.events import Quality
from agent.base.stream import Chunk
from drivers.simulated.chest_strap import SimulatedChestStrap
from drivers.simulated.device import SimulatedDevice
from drivers.simulated.ecg import SimulatedEcg
from drivers.simulated.eeg import SimulatedEeg
from drivers.simulated.gsr import SimulatedGsr

DEVICES: dict[str, type[SimulatedDevice]] = {
    "chest-strap": SimulatedChestStrap,
    "ecg": SimulatedEcg,
    "gsr": SimulatedGsr,
    "eeg": SimulatedEeg,
}
REAL_TIMEOUT_S = 30.0  # a run that takes longer than this real time is a failure, not a slow pass


def make(kind: str, clock: Clock, **options: Any) -> SimulatedDevice:
    cls = DEVICES[kind]
    return cls(cls.options(**options), DriverContext(f"sim-{kind}", clock, bound_logger(f"sim-{kind}")))


@dataclass(repr=False)  # a run holds thousands of arrays: a full repr (in a report or log) would take seconds
class Run:
    """Everything one device yielded, by stream, in scenario time."""

    origin: float
    chunks: dict[str, list[Chunk]] = field(default_factory=lambda: defaultdict(list))
    events: list[Quality] = field(default_factory=list)

    def __repr__(self) -> str:
        counts = {name: sum(len(c) for c in chunks) for name, chunks in self.chunks.items()}
        return f"Run(samples={counts}, events={len(self.events)})"

    def add(self, item: Chunk | Quality) -> None:
        if isinstance(item, Chunk):
            self.chunks[item.spec.name].append(item)
        else:
            self.events.append(item)

    def t(self, stream: str) -> np.ndarray:
        """Scenario times of every sample of ``stream``."""
        return np.concatenate([c.t for c in self.chunks[stream]]) - self.origin

    def x(self, stream: str) -> np.ndarray:
        return np.concatenate([c.x for c in self.chunks[stream]])

    def seq(self, stream: str) -> np.ndarray:
        """The stream index of every sample."""
        return np.concatenate([np.arange(c.seq, c.next_seq) for c in self.chunks[stream]])

    def by_seq(self, stream: str) -> dict[int, np.ndarray]:
        return dict(zip(self.seq(stream).tolist(), self.x(stream), strict=True))


def _time_of(item: Chunk | Quality) -> float:
    return float(item.t[-1]) if isinstance(item, Chunk) else item.t


async def stream_into(run: Run, device: SimulatedDevice, until_s: float) -> None:
    """Connect, and gather until the device's output reaches scenario time ``until_s``.

    DeviceError subclasses propagate, with what came before them kept in ``run``.
    """
    async with asyncio.timeout(REAL_TIMEOUT_S), device, aclosing(device.chunks()) as items:
        async for item in items:
            run.add(item)
            if _time_of(item) - run.origin >= until_s:
                return


async def collect(device: SimulatedDevice, until_s: float) -> Run:
    run = Run(device.clock.origin)
    await stream_into(run, device, until_s)
    return run
