"""The agent as a systemd service: READY, STATUS, the watchdog, STOPPING, and the status file.

- **READY=1** once every configured device has produced its first chunk or
  settled where retrying cannot help (driver unavailable, misconfigured,
  recording finished), or after ``start_timeout_s`` whatever the devices do:
  a strap that is switched off must not leave the unit "activating" forever.
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

import structlog

from agent.runtime import statusfile
from agent.runtime.notify import Notifier
from agent.runtime.status import DeviceState, DeviceStatus
from agent.runtime.running import RunningAgent as Agent

log = structlog.get_logger("edge_agent.service")

SETTLED = (DeviceState.UNAVAILABLE, DeviceState.MISCONFIGURED, DeviceState.FINISHED)


def device_settled(d: DeviceStatus) -> bool:
    """Has this device done what it will do at start: streamed, or given up for a reason retrying cannot fix?"""
    return d.state in SETTLED or any(s.samples > 0 for s in d.streams.values())


def samples_arrived(devices: dict[str, DeviceStatus]) -> int:
    return sum(s.samples for d in devices.values() for s in d.streams.values())


def summary(agent: Agent) -> str:
    """The one-line STATUS= shown by ``systemctl status``."""
    devices = agent.supervisor.status
    streaming = sum(d.state is DeviceState.STREAMING for d in devices.values())
    text = f"{streaming}/{len(devices)} sensors streaming"
    decision = agent.analysis.latest
    if decision is not None:
        text += f"; level {decision.adaptation.level.value}"
    if agent.sync is not None:
        text += f"; cloud {agent.sync.status.state}"
    return text


class Watchdog:
    """Decides, at each check, whether the pipeline has earned a ping."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._consumed = agent.pipeline.processed
        self._arrived = samples_arrived(agent.supervisor.status)
        self.pings = 0
        self.withheld = 0

    def healthy(self) -> bool:
        # the pipeline consuming readings is what proves it alive: a tick waits for every stream
        consumed = self.agent.pipeline.processed
        arrived = samples_arrived(self.agent.supervisor.status)
        ok = consumed > self._consumed or arrived == self._arrived
        if ok:  # compare the next check with this ping, not with the last check
            self._consumed, self._arrived = consumed, arrived
        return ok


class ServiceLoop:
    """One task beside the stages; it only reads their state."""

    def __init__(
        self,
        agent: Agent,
        notifier: Notifier | None = None,
        *,
        start_timeout_s: float = 60.0,
        status_every_s: float = 1.0,
        write_status_file: bool = True,
    ) -> None:
        self.agent = agent
        self.notifier = notifier if notifier is not None else Notifier()
        self.start_timeout_s = start_timeout_s
        self.status_every_s = status_every_s
        self.status_path = statusfile.path_for(agent.config.agent.runtime_dir) if write_status_file else None
        self.watchdog = Watchdog(agent)
        self.ready = False
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
                await asyncio.shield(self._write_status())
            self.notifier.close()

    async def _ready_then_status(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout_s
        last_text = ""
        next_write = 0.0
        while True:
            if not self.ready:
                devices = self.agent.supervisor.status
                if all(device_settled(d) for d in devices.values()) or loop.time() >= deadline:
                    self.ready = True
                    self._state = "running"
                    waiting = [d.device_id for d in devices.values() if not device_settled(d)]
                    log.info("service_ready", waited_for=waiting or None)
                    last_text = summary(self.agent)
                    next_write = loop.time() + self.status_every_s
                    await self._write_status()  # `edge-agent status` agrees with READY from the start
                    self.notifier.ready(last_text)
                    # systemd arms the watchdog once start-up completes, so ping from READY on
                    if self.notifier.enabled and self.notifier.watchdog_s is not None:
                        self._tasks.append(
                            asyncio.create_task(self._watchdog_loop(self.notifier.watchdog_s), name="service:watchdog")
                        )
            elif (text := summary(self.agent)) != last_text:
                last_text = text
                self.notifier.status(text)
            if loop.time() >= next_write:
                next_write = loop.time() + self.status_every_s
                await self._write_status()
            await asyncio.sleep(self.status_every_s if self.ready else min(0.1, self.status_every_s))

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
                    log.error("pipeline_stalled", ticks=self.agent.analysis.ticks, queued=len(self.agent.readings))

    async def _write_status(self) -> None:
        if self.status_path is None:
            return
        try:
            data = await statusfile.snapshot(self.agent, self._state)
            data["ready"] = self.ready
            await asyncio.to_thread(statusfile.write, self.status_path, data)
            self._status_failed = False
        except OSError as exc:
            if not self._status_failed:  # once per failure spell, not every second
                log.warning("status_file_failed", path=str(self.status_path), error=str(exc))
            self._status_failed = True
