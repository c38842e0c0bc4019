"""What every simulated device shares: the driver contract, pacing, and faults.

A simulated device is connected unless a ``disconnect`` window covers the
current scenario time; while streaming it sleeps on the agent clock until
its next output is due, so ``Clock(speed=50)`` runs it fifty times faster.
Sampled devices (ECG, GSR, EEG) render their signal in fixed blocks of
sample indices, each block a pure function of the seed, and cut chunks at
fixed multiples of their frame length, as a device that frames its output
from power-on would.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import numpy as np

from agent.plugin import Chunk, DeviceDisconnected, DeviceNotFound, Discovered, DriverContext, Quality, StreamSpec
from drivers.simulated.faults import FaultSchedule
from drivers.simulated.noise import block_rng
from drivers.simulated.options import FaultKind, SimulatedOptions
from drivers.simulated.scenario import Scenario

_CACHED_BLOCKS = 2


class SimulatedDevice:
    """The driver contract for a simulated device; subclasses write ``_generate``."""

    options: ClassVar[type[SimulatedOptions]]
    plugin_name: ClassVar[str]  # the entry-point name, for discover()
    kind: ClassVar[str]  # the address is "sim:<kind>"
    display_name: ClassVar[str]

    def __init__(self, options: SimulatedOptions, context: DriverContext) -> None:
        if not isinstance(options, self.options):
            raise TypeError(f"{type(self).__name__} takes {self.options.__name__}, got {type(options).__name__}")
        self.opts = options
        self.context = context
        self.clock = context.clock
        self.scenario = Scenario.from_options(options)
        self.faults = FaultSchedule.from_options(options)
        self._connected_at: float | None = None
        self._disconnect_at = math.inf

    @property
    def address(self) -> str:
        return f"sim:{self.kind}"

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return [
            Discovered(driver=cls.plugin_name, name=cls.display_name, address=f"sim:{cls.kind}", details="simulated")
        ]

    def scenario_time(self) -> float:
        return self.clock.now() - self.clock.origin

    async def __aenter__(self) -> Self:
        s = self.scenario_time()
        window = self.faults.active(FaultKind.DISCONNECT, s)
        if window is not None:
            raise DeviceNotFound(f"{self.address} is not reachable (simulated disconnect until t={window.end:.1f} s)")
        self._connected_at = s
        self._disconnect_at = self.faults.next_start(FaultKind.DISCONNECT, s)
        self.context.log.info("sim.connected", address=self.address, scenario_s=round(s, 3))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._connected_at = None

    def chunks(self) -> AsyncIterator[Chunk | Quality]:
        if self._connected_at is None:
            raise RuntimeError(f"{self.address}: connect with 'async with' before chunks()")
        return self._generate(self._connected_at)

    async def _generate(self, connected_at: float) -> AsyncIterator[Chunk | Quality]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def _wait_until(self, s: float) -> None:
        """Sleep until scenario time ``s``; raise DeviceDisconnected if a disconnect comes first."""
        if s >= self._disconnect_at:
            await self.clock.sleep_until(self.clock.origin + self._disconnect_at)
            self._connected_at = None
            raise DeviceDisconnected(
                f"{self.address} went away (simulated disconnect at t={self._disconnect_at:.1f} s)"
            )
        await self.clock.sleep_until(self.clock.origin + s)


class SampledDevice(SimulatedDevice):
    """A device with one regularly sampled stream, rendered block by block."""

    burst_sd: ClassVar[float]  # noise_burst: sd of the added noise, in the stream's unit
    open_lead_value: ClassVar[float] = 0.0  # contact_loss: what an unconnected input reads
    lower_bound: ClassVar[float | None] = None  # physical floor (skin conductance is never negative)

    spec: StreamSpec
    chunk_len: int
    block_len: int  # a multiple of chunk_len

    def __init__(self, options: Any, context: DriverContext) -> None:
        super().__init__(options, context)
        self._blocks: dict[int, np.ndarray] = {}
        self._offsets: np.ndarray | None = None  # 0 .. chunk_len - 1, made once

    def _render_block(self, b: int) -> np.ndarray:
        """Samples ``b * block_len`` .. ``(b + 1) * block_len - 1``, float64 (block_len, channels)."""
        raise NotImplementedError

    def _device_time(self, s: np.ndarray) -> np.ndarray | None:
        """The device's own timestamps for scenario times ``s``, if it has a clock."""
        return None

    @property
    def rate_hz(self) -> float:
        assert self.spec.rate_hz is not None, "a sampled device has a nominal rate"
        return self.spec.rate_hz

    def render(self, k0: int, n: int) -> np.ndarray:
        """The fault-free signal at sample indices k0 .. k0 + n - 1, float32 (n, channels), read-only."""
        b0, b1 = k0 // self.block_len, (k0 + n - 1) // self.block_len
        parts = [self._block(b) for b in range(b0, b1 + 1)]
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        start = k0 - b0 * self.block_len
        return whole[start : start + n]

    def _block(self, b: int) -> np.ndarray:
        if b not in self._blocks:
            if len(self._blocks) >= _CACHED_BLOCKS:
                del self._blocks[min(self._blocks)]
            block = self._render_block(b).astype(np.float32)  # as chunks carry it: no conversion per chunk
            block.setflags(write=False)
            self._blocks[b] = block
        return self._blocks[b]

    async def _generate(self, connected_at: float) -> AsyncIterator[Chunk | Quality]:
        rate = self.rate_hz
        k = math.ceil(connected_at * rate / self.chunk_len) * self.chunk_len  # the next whole frame
        while True:
            await self._wait_until((k + self.chunk_len - 1) / rate)
            for chunk in self._chunks_at(k):
                yield chunk
            k += self.chunk_len

    def _chunks_at(self, k0: int) -> list[Chunk]:
        rate = self.rate_hz
        if self._offsets is None:
            self._offsets = np.arange(self.chunk_len)
        s = (k0 + self._offsets) / rate
        x = self.render(k0, self.chunk_len)
        dropped = None
        if not self.faults.empty:
            x = self._apply_signal_faults(k0, s, x.copy(), rate)
            dropped = self.faults.mask(FaultKind.DROPOUT, s)
        t = self.clock.origin + s
        device_t = self._device_time(s)
        if dropped is None:
            return [Chunk(self.context.device_id, self.spec, k0, t, x, device_t)]
        return [
            Chunk(
                self.context.device_id, self.spec, k0 + i, t[i:j], x[i:j], None if device_t is None else device_t[i:j]
            )
            for i, j in kept_runs(dropped)
        ]

    def _apply_signal_faults(self, k0: int, s: np.ndarray, x: np.ndarray, rate: float) -> np.ndarray:
        for w in self.faults.windows(FaultKind.FLATLINE, float(s[0]), float(s[-1])):
            stuck_at = max(0, math.ceil(w.start * rate) - 1)  # the last sample before it stuck
            x[(s >= w.start) & (s < w.end)] = self.render(stuck_at, 1)[0]
        lost = self.faults.mask(FaultKind.CONTACT_LOSS, s)
        if lost is not None:
            x[lost] = self.open_lead_value
        burst = self.faults.mask(FaultKind.NOISE_BURST, s)
        if burst is not None:
            noise = block_rng(self.opts.seed, f"{self.kind}-burst", k0).standard_normal(x.shape)
            x[burst] += self.burst_sd * noise[burst]
            if self.lower_bound is not None:
                np.maximum(x, self.lower_bound, out=x)
        return x


def kept_runs(dropped: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges of the runs of False in ``dropped``."""
    edges = np.diff(np.concatenate([[0], (~dropped).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))
