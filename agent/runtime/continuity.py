"""Stream continuity: gap events from sequence numbers and from reconnects,
and the cadence a device's chunks normally arrive at (for stall detection)."""

from __future__ import annotations

from agent.base.events import Gap
from agent.base.stream import Chunk


class GapTracker:
    """Turns jumps in a device's sequence numbers into :class:`Gap` events.

    Within one connection a jump in ``seq`` is a gap of that many samples.
    Across a reconnect the first chunk of each stream is compared with the
    last one seen before the drop: a driver that keeps counting gives the
    number of samples missed; one that restarts at zero gives only the time.
    """

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        self._next: dict[str, tuple[int, float]] = {}  # stream -> (expected seq, last sample t)
        self._reconnected: set[str] = set()
        self.gaps = 0

    def reconnected(self) -> None:
        self._reconnected = set(self._next)

    def check(self, chunk: Chunk) -> Gap | None:
        name = chunk.spec.name
        if len(chunk) == 0:
            return None
        prev = self._next.get(name)
        self._next[name] = (chunk.next_seq, float(chunk.t[-1]))
        if prev is None:
            return None
        expected, last_t = prev
        after_reconnect = name in self._reconnected
        self._reconnected.discard(name)
        t0 = float(chunk.t[0])
        if chunk.seq > expected:
            missing: int | None = chunk.seq - expected
        elif chunk.seq < expected or (after_reconnect and t0 - last_t > self._pause_s(chunk)):
            # A count that restarted, or a device that kept counting through a pause:
            # only the time is known.
            missing = None
        else:
            return None
        self.gaps += 1
        return Gap(
            device_id=self.device_id,
            stream=name,
            t_start=last_t,
            t_end=t0,
            missing=missing,
            cause="reconnect" if after_reconnect else "sequence",
        )

    @staticmethod
    def _pause_s(chunk: Chunk) -> float:
        """The longest silence across a reconnect that is not a gap."""
        rate = chunk.spec.rate_hz
        return 2.5 / rate if rate else 2.0


class Cadence:
    """Learns how often a device's chunks arrive, to tell a stall from a pause.

    The expected interval is an exponentially weighted mean of the gaps
    between chunks; a device is stalled when nothing has arrived for
    ``factor`` times that (and never sooner than ``floor_s``).
    """

    def __init__(self, *, factor: float, floor_s: float, first_s: float, alpha: float = 0.1) -> None:
        self.factor = factor
        self.floor_s = floor_s
        self.first_s = first_s
        self.alpha = alpha
        self.interval_s: float | None = None
        self._last: float | None = None

    def restart(self) -> None:
        """A new connection: keep the learned interval, forget the last arrival."""
        self._last = None

    def arrived(self, t: float) -> None:
        if self._last is not None:
            dt = t - self._last
            self.interval_s = dt if self.interval_s is None else (1 - self.alpha) * self.interval_s + self.alpha * dt
        self._last = t

    def deadline_s(self) -> float:
        """How long to wait for the next chunk before declaring a stall."""
        if self._last is None or self.interval_s is None:
            return self.first_s
        return max(self.floor_s, self.factor * self.interval_s)
