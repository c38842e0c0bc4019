"""The agent's one monotonic clock, and the mapping of device clocks onto it.

``Clock`` is injected everywhere time matters. ``speed`` > 1 runs the whole
agent faster than real time (tests, replay) without changing any logic:
every wait and timeout goes through the clock.

``DeviceClock`` maps one device's own time base (LSL seconds, Polar
nanoseconds since 2000, Shimmer 32768 Hz ticks, bridge firmware ticks) onto
agent time with an online offset and drift estimate.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # DeviceClock imports numpy when it first works: Clock alone serves `vr-tail` without it
    import numpy as np
    import numpy.typing as npt


class Clock:
    """Agent monotonic time in seconds, optionally running ``speed`` times faster."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be > 0, got {speed}")
        self.speed = speed
        self.origin = time.monotonic()  # agent start: scenarios and uptime count from here

    def now(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    async def sleep_until(self, t: float) -> None:
        await self.sleep(t - self.now())

    def timeout(self, seconds: float) -> asyncio.Timeout:
        """``asyncio.timeout`` measured in agent seconds (``.expired()`` tells who fired)."""
        return asyncio.timeout(max(0.0, seconds) / self.speed)


class DeviceClock:
    """Online estimate of ``agent = offset + drift * device`` for one device.

    Arrival times are the true times plus a transport delay that is never
    negative and sometimes large (BLE batching, USB buffering, scheduling).
    The minimum of ``agent - device`` over a short bucket is therefore the
    best offset estimate for that bucket, and late outliers cannot pull it.
    Drift comes from a least-squares line through the bucket minima of a
    sliding window. A device clock that was never set (a Polar strap that
    thinks it is 2019) only changes the offset, which is why device time is
    never trusted absolutely.

    Counters that wrap (Shimmer's 24-bit ticks) are unwrapped in
    :meth:`unwrap`; a device time that jumps by more than ``jump_s`` against
    the estimate (a clock set while streaming, a device reboot) restarts
    the estimate after ``jump_confirm`` consistent observations, so one
    corrupt timestamp cannot move it.
    """

    def __init__(
        self,
        *,
        tick_hz: float = 1.0,
        wrap_ticks: int | None = None,
        window_s: float = 300.0,
        bucket_s: float = 2.0,
        jump_s: float = 1.0,
        jump_confirm: int = 3,
        max_drift_ppm: float = 2000.0,
    ) -> None:
        self.tick_hz = tick_hz
        self.wrap_ticks = wrap_ticks
        self.window_s = window_s
        self.bucket_s = bucket_s
        self.jump_s = jump_s
        self.jump_confirm = jump_confirm
        self.max_drift = max_drift_ppm * 1e-6
        self._last_raw: int | None = None
        self._wraps = 0
        self._buckets: deque[tuple[float, float]] = deque()  # (device_s, min agent-device) per bucket
        self._bucket_start: float | None = None
        self._offset: float | None = None
        self._drift = 0.0
        self._suspects = 0
        self._last_stamp: tuple[float, float] | None = None  # (device s, agent s) of the last stamped sample
        self.resets = 0
        self.rejected = 0

    # -- counters -----------------------------------------------------------

    def unwrap(self, ticks: npt.ArrayLike) -> np.ndarray:
        """Raw device ticks (in order) to continuous device seconds."""
        import numpy as np
        raw = np.asarray(ticks, dtype=np.int64).reshape(-1)
        if self.wrap_ticks is None:
            return raw.astype(np.float64) / self.tick_hz
        w = self.wrap_ticks
        out = np.empty(raw.shape[0], dtype=np.float64)
        for i, r in enumerate(raw.tolist()):
            r %= w
            if self._last_raw is not None and r < self._last_raw - w // 2:
                self._wraps += 1
            self._last_raw = r
            out[i] = (self._wraps * w + r) / self.tick_hz
        return out

    # -- estimation ---------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._offset is not None

    @property
    def offset(self) -> float:
        """``agent - device`` (seconds) at the newest observed device time."""
        if self._offset is None:
            raise RuntimeError("DeviceClock has no observation yet")
        return self._offset

    @property
    def drift(self) -> float:
        """Relative rate error: agent seconds per device second, minus one."""
        return self._drift

    def observe(self, device_s: float, agent_s: float) -> None:
        """Record that the sample stamped ``device_s`` arrived at ``agent_s``."""
        if self._offset is not None:
            residual = agent_s - self.to_agent(device_s)
            # A sample can arrive late (positive residual) but never before it was taken.
            if residual < -self.jump_s or residual > self.window_s:
                self._suspects += 1
                self.rejected += 1
                if self._suspects < self.jump_confirm:
                    return
                self._restart()
            else:
                self._suspects = 0
        self._add(device_s, agent_s - device_s)

    def observe_many(self, device_s: npt.ArrayLike, agent_s: float) -> None:
        """A batch of samples that arrived together: only the newest is informative."""
        import numpy as np
        d = np.asarray(device_s, dtype=np.float64).reshape(-1)
        if d.size:
            self.observe(float(d[-1]), agent_s)

    def stamp(self, device_s: npt.ArrayLike, arrival_s: float, *, slew: float = 0.05) -> np.ndarray:
        """Observe a batch that arrived at ``arrival_s`` and give its samples agent times.

        The times increase (given arrivals that do) and are never after the
        arrival. The estimate moves
        earlier whenever a less-delayed batch shows the offset was smaller;
        rather than jumping back in time, the stamps then run at most ``slew``
        slower than the device until they meet the estimate (as NTP slews).
        """
        import numpy as np
        d = np.asarray(device_s, dtype=np.float64).reshape(-1)
        if d.size == 0:
            return d
        resets = self.resets
        self.observe(float(d[-1]), arrival_s)
        t = self.to_agent(d)
        t = t - max(0.0, float(t[-1]) - arrival_s)  # shift, not clip: keep the device's own spacing
        if self._last_stamp is not None and self.resets == resets and d[0] > self._last_stamp[0]:
            last_d, last_t = self._last_stamp
            # the slowest rate that still ends by the arrival, if the estimate moved that far
            rate = min(1.0 - slew, max(0.0, arrival_s - last_t) / (float(d[-1]) - last_d))
            t = np.maximum(t, last_t + (d - last_d) * rate)
        self._last_stamp = (float(d[-1]), float(t[-1]))
        return t

    def to_agent(self, device_s: npt.ArrayLike) -> np.ndarray:
        import numpy as np
        d = np.asarray(device_s, dtype=np.float64)
        return d + self.offset + self._drift * (d - self._anchor)

    # -- internals ----------------------------------------------------------

    def _restart(self) -> None:
        self._buckets.clear()
        self._bucket_start = None
        self._offset = None
        self._drift = 0.0
        self._suspects = 0
        self.resets += 1

    def _add(self, device_s: float, diff: float) -> None:
        if self._bucket_start is None or device_s - self._bucket_start >= self.bucket_s:
            self._bucket_start = device_s
            self._buckets.append((device_s, diff))
            while device_s - self._buckets[0][0] > self.window_s:
                self._buckets.popleft()
        elif diff < self._buckets[-1][1]:
            self._buckets[-1] = (self._buckets[-1][0], diff)
        else:
            return  # nothing the fit depends on changed
        self._fit()

    @property
    def _anchor(self) -> float:
        return self._buckets[-1][0] if self._buckets else 0.0

    def _fit(self) -> None:
        import numpy as np
        # Fit diff = a + slope * (device - anchor) through the bucket minima;
        # the newest bucket is still filling, so its minimum is not final yet.
        done = list(self._buckets)[:-1] if len(self._buckets) > 2 else list(self._buckets)
        anchor = self._anchor
        if len(done) >= 3:
            d = np.array([b[0] for b in done]) - anchor
            y = np.array([b[1] for b in done])
            slope, intercept = np.polyfit(d, y, 1)
            self._drift = float(np.clip(slope, -self.max_drift, self.max_drift))
            # The intercept of a line through minima, lowered to the lowest
            # recent minimum so the mapping never puts samples after arrival.
            resid = y - (intercept + self._drift * d)
            self._offset = float(intercept + min(0.0, resid.min()))
        else:
            self._drift = 0.0
            self._offset = min(b[1] for b in self._buckets)
