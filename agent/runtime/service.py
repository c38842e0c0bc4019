"""The agent as a systemd service: READY, STATUS, the watchdog, STOPPING, and the status file.

- **READY=1** once start-up is done: every configured device is connected
  (its streams subscribed; the data follows within its cadence) or settled
  where retrying cannot help (driver unavailable, misconfigured, recording
  finished), or after ``start_timeout_s`` whatever the devices do: a strap
  that is switched off must not leave the unit "activating" forever. READY
  does not wait for the first samples: that is the watchdog's and the status
  view's business, and a chest strap's first beat interval can take seconds.
- **WATCHDOG=1** every quarter of ``$WATCHDOG_USEC`` (systemd asks for at
  least every half), but only while the pipeline is healthy: the analysis
  stage has consumed readings since the last ping, or no sample has arrived since then
  (an idle agent with every sensor off is not stalled; the supervisor keeps
  retrying those). Samples arriving without ticks means the pipeline has
  stopped consuming, so the pings stop and systemd restarts the agent. A
  blocked event loop stops them too, since this runs on it.
- **STOPPING=1** as soon as a stop is asked for.

Times here are real seconds, not the agent's clock: systemd's deadlines do
not speed up with ``--speed``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import structlog

from agent.runtime import statusfile
from agent.runtime.notify import Notifier
from agent.runtime.snapshot import AgentSnapshot, DeviceSnapshot
from agent.runtime.status import DeviceState

log = structlog.get_logger("edge_agent.service")

SETTLED = (DeviceState.UNAVAILABLE, DeviceState.MISCONFIGURED, DeviceState.FINISHED)


def device_settled(d: DeviceSnapshot) -> bool:
    """Has this device done what it will do at start: connected (once is enough; a stall after it is the
    watchdog's and the supervisor's business), or given up for a reason retrying cannot fix?"""
    return d.state in SETTLED or d.connects > 0


class Watchdog:
    """Decides, at each check, whether the pipeline has earned a ping."""

    def __init__(self, snapshot: Callable[[], AgentSnapshot]) -> None:
        self.snapshot = snapshot
        first = snapshot()
        self._consumed, self._arrived = first.processed, first.samples
        self.pings = 0
        self.withheld = 0

    def healthy(self) -> bool:
        # the pipeline consuming readings is what proves it alive: a tick waits for every stream
        now = self.snapshot()
        consumed, arrived = now.processed, now.samples
        ok = consumed > self._consumed or arrived == self._arrived
        if ok:  # compare the next check with this ping, not with the last check
            self._consumed, self._arrived = consumed, arrived
        return ok


class ServiceLoop:
    """One task beside the stages: READY, the watchdog, STOPPING; STATUS and the status file from snapshots.

    ``snapshot`` takes a fresh :class:`AgentSnapshot` (the agent's ``snapshot``): polled until READY, and by
    the watchdog. After READY the agent hands over the snapshot of each status period (:meth:`publish`).
    """

    def __init__(
        self,
        snapshot: Callable[[], AgentSnapshot],
        notifier: Notifier | None = None,
        *,
        status_path: Path | None = None,
        start_timeout_s: float = 60.0,
        status_every_s: float = 1.0,
    ) -> None:
        self.snapshot = snapshot
        self.notifier = notifier if notifier is not None else Notifier()
        self.start_timeout_s = start_timeout_s
        self.status_every_s = status_every_s
        self.status_path = status_path
        self.watchdog = Watchdog(snapshot)
        self.ready = False
        self._last_text = ""
        self._next_write = 0.0
        self._state = "starting"
        self._status_failed = False
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._ready_then_status(stop), name="service:status")]
        self._tasks = tasks
        try:
            await stop.wait()
            self._state = "stopping"
            self.notifier.stopping("stopping")
            await asyncio.Event().wait()  # until the agent cancels its helpers, after closing the books
        finally:
            for t in tasks:
                t.cancel()
            if not stop.is_set():  # the devices finished by themselves (a replay)
                self.notifier.stopping("stopping")
            self._state = "stopped"
            with contextlib.suppress(Exception):
                await asyncio.shield(self._write_status(self.snapshot()))
            self.notifier.close()

    async def _ready_then_status(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout_s
        while not self.ready:
            snap = self.snapshot()
            if all(device_settled(d) for d in snap.devices) or loop.time() >= deadline:
                self.ready = True
                self._state = "running"
                waiting = [d.device_id for d in snap.devices if not device_settled(d)]
                log.info("service_ready", waited_for=waiting or None)
                self._last_text = snap.summary()
                await self._write_status(snap)  # `edge-agent status` agrees with READY from the start
                self.notifier.ready(self._last_text)
                # systemd arms the watchdog once start-up completes, so ping from READY on
                if self.notifier.enabled and self.notifier.watchdog_s is not None:
                    self._tasks.append(
                        asyncio.create_task(self._watchdog_loop(self.notifier.watchdog_s), name="service:watchdog")
                    )
                return
            if loop.time() >= self._next_write:  # `status` shows "starting" while the devices are awaited
                await self._write_status(snap)
            await asyncio.sleep(min(0.1, self.status_every_s))

    async def publish(self, snap: AgentSnapshot) -> None:
        """The snapshot of this status period: STATUS when its line changed, and the status file."""
        if not self.ready:
            return
        if (text := snap.summary()) != self._last_text:
            self._last_text = text
            self.notifier.status(text)
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_write:  # real seconds: a sped-up clock need not write faster
            await self._write_status(snap)

    async def _watchdog_loop(self, interval_s: float) -> None:
        # A quarter of the interval: one withheld check (samples queued but not yet
        # analysed at that instant) still leaves a ping within half the interval.
        while True:
            await asyncio.sleep(interval_s / 4)
            if self.watchdog.healthy():
                self.watchdog.pings += 1
                self.notifier.watchdog()
            else:
                self.watchdog.withheld += 1
                if self.watchdog.withheld % 4 == 1:
                    snap = self.snapshot()
                    log.error("pipeline_stalled", ticks=snap.ticks, queued=snap.readings.depth)

    async def _write_status(self, snap: AgentSnapshot) -> None:
        if self.status_path is None:
            return
        self._next_write = asyncio.get_running_loop().time() + self.status_every_s
        try:
            data = statusfile.render(snap, self._state, ready=self.ready)
            await asyncio.to_thread(statusfile.write, self.status_path, data)
            self._status_failed = False
        except OSError as exc:
            if not self._status_failed:  # once per failure spell, not every second
                log.warning("status_file_failed", path=str(self.status_path), error=str(exc))
            self._status_failed = True
