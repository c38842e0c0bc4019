"""One supervised task per configured device, under a TaskGroup.

The reconnect loop is visible here and nowhere else: connect with a
timeout, pump chunks while watching their cadence, and on any failure emit
``Disconnected``, back off with jitter and try again. A device whose driver
library is missing is reported unavailable and the others keep running; a
driver bug is logged with its traceback and treated like a device failure,
so one bad plugin cannot take the agent down.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Any

import pydantic
import structlog

from agent.base.backoff import Backoff
from agent.base.clock import Clock
from agent.base.driver import DriverContext, DriverOptions, DriverPlugin
from agent.base.events import Connected, DeviceEvent, Disconnected, Gap, Quality
from agent.base.queues import BoundedQueue
from agent.base.stream import Chunk
from agent.errors import ConfigError, DeviceError, DeviceStalled, DriverUnavailable
from agent.runtime.continuity import Cadence, GapTracker
from agent.runtime.status import DeviceState, DeviceStatus

Reading = Chunk | DeviceEvent

log = structlog.get_logger("edge_agent.supervisor")


class SupervisorOptions(pydantic.BaseModel):
    """``[supervisor]``: how devices are retried and when silence means a stall."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    backoff_initial_s: float = pydantic.Field(1.0, gt=0, description="first reconnect delay")
    backoff_max_s: float = pydantic.Field(60.0, gt=0, description="longest reconnect delay")
    backoff_jitter: float = pydantic.Field(0.2, ge=0, lt=1, description="± fraction of each delay")
    healthy_after_chunks: int = pydantic.Field(
        3, ge=1, description="a connection that delivered this many chunks resets the backoff"
    )
    connect_timeout_s: float = pydantic.Field(30.0, gt=0)
    first_chunk_timeout_s: float = pydantic.Field(15.0, gt=0, description="silence allowed after connecting")
    stall_factor: float = pydantic.Field(5.0, gt=1, description="stalled after this many expected intervals")
    stall_floor_s: float = pydantic.Field(3.0, gt=0, description="never declare a stall sooner than this")
    queue_capacity: int = pydantic.Field(1024, ge=16, description="readings buffered for the pipeline")

    @pydantic.model_validator(mode="after")
    def _backoff_order(self) -> SupervisorOptions:
        if self.backoff_initial_s > self.backoff_max_s:
            raise ValueError("backoff_initial_s must not exceed backoff_max_s")
        return self


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A configured device: its id, its driver and that driver's validated options."""

    device_id: str
    plugin: DriverPlugin
    options: DriverOptions


class DeviceSupervisor:
    """Runs one device for the life of the agent."""

    def __init__(
        self,
        spec: DeviceSpec,
        *,
        clock: Clock,
        options: SupervisorOptions,
        out: BoundedQueue[Reading],
        rng: random.Random,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.options = options
        self.out = out
        self.status = DeviceStatus(spec.device_id, spec.plugin.name)
        self.log = structlog.get_logger("edge_agent.device").bind(device_id=spec.device_id, driver=spec.plugin.name)
        self._gaps = GapTracker(spec.device_id)
        self._cadence = Cadence(
            factor=options.stall_factor, floor_s=options.stall_floor_s, first_s=options.first_chunk_timeout_s
        )
        self._connected = False
        self._session_chunks = 0
        self._backoff = Backoff(
            options.backoff_initial_s, options.backoff_max_s, jitter=options.backoff_jitter, rng=rng
        )

    async def run(self) -> None:
        try:
            driver_cls = self.spec.plugin.load()
        except DriverUnavailable as exc:
            self.status.state = DeviceState.UNAVAILABLE
            self.status.detail = str(exc)
            self.log.error("driver_unavailable", error=str(exc), extra=exc.extra)
            return
        # One instance for the device's life, entered again after each drop, so
        # a driver keeps what outlives a connection (clock mapping, sequence count).
        driver = driver_cls(self.spec.options, DriverContext(self.spec.device_id, self.clock, self.log))
        try:
            while True:
                self._connected = False
                try:
                    await self._session(driver)
                    self.status.state = DeviceState.FINISHED
                    self.log.info("device_finished")
                    return
                except ConfigError as exc:  # retrying cannot fix a setting: say so and stop this device
                    self.status.state = DeviceState.MISCONFIGURED
                    self.status.detail = str(exc)
                    self.log.error("device_misconfigured", error=str(exc))
                    return
                except (DeviceError, TimeoutError) as exc:
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                except Exception as exc:  # a driver bug must not take the other devices down
                    reason = f"driver error {type(exc).__name__}: {exc}"
                    self.log.exception("driver_crashed")
                delay = self._backoff.next_delay()
                if self._connected:
                    self._emit(Disconnected(self.spec.device_id, self.clock.now(), reason, retry_in_s=delay))
                else:
                    self.log.warning("connect_failed", reason=reason, retry_in_s=round(delay, 2))
                self.status.state = DeviceState.BACKOFF
                self.status.detail = reason
                await self.clock.sleep(delay)
        finally:
            if self.status.state not in (DeviceState.FINISHED, DeviceState.UNAVAILABLE, DeviceState.MISCONFIGURED):
                self.status.state = DeviceState.STOPPED

    async def _session(self, driver: Any) -> None:
        """Connect and stream; returns only when the stream ends by itself (a recording)."""
        self.status.state = DeviceState.CONNECTING
        self.status.detail = ""
        async with contextlib.AsyncExitStack() as stack:
            async with self.clock.timeout(self.options.connect_timeout_s):
                await stack.enter_async_context(driver)
            self.status.connects += 1
            if self.status.connects > 1:
                self._gaps.reconnected()
            self._connected = True
            self._emit(Connected(self.spec.device_id, self.clock.now(), attempt=self.status.connects))
            self.status.state = DeviceState.STREAMING
            await self._pump(driver.chunks())

    async def _pump(self, readings: Any) -> None:
        self._cadence.restart()
        self._session_chunks = 0
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                deadline = self._cadence.deadline_s()
                if pending is None:
                    pending = asyncio.ensure_future(anext(readings))
                try:
                    async with self.clock.timeout(deadline) as timer:
                        await asyncio.shield(pending)  # the deadline must not cancel a reading on its way
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if not timer.expired():
                        raise
                    if not await _arrives_once_the_loop_catches_up(pending):
                        raise DeviceStalled(f"no data for {deadline:.1f} s") from None
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                if isinstance(item, Chunk):
                    self._on_chunk(item)
                else:
                    self._emit(item)
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            with contextlib.suppress(Exception):
                await readings.aclose()

    def _on_chunk(self, chunk: Chunk) -> None:
        self._cadence.arrived(self.clock.now())
        # Data, not time connected, proves the link: a loose strap that streams
        # for 10 s between drops should come back at once, not after minutes.
        self._session_chunks += 1
        if self._session_chunks == self.options.healthy_after_chunks:
            self._backoff.reset()
        gap = self._gaps.check(chunk)
        if gap is not None:
            self._emit(gap)
        self.status.on_chunk(chunk)
        self.out.put(chunk)

    def _emit(self, event: DeviceEvent) -> None:
        match event:
            case Connected():
                self.log.info("connected", attempt=event.attempt)
            case Disconnected():
                self.status.disconnects += 1
                self.log.warning("disconnected", reason=event.reason, retry_in_s=round(event.retry_in_s or 0, 2))
            case Gap():
                self.status.gaps += 1
                self.status.missing_samples += event.missing or 0
                self.log.warning(
                    "gap", stream=event.stream, missing=event.missing, seconds=round(event.duration_s, 3), cause=event.cause
                )
            case Quality():
                stream = self.status.streams.get(event.stream)
                if stream is not None:
                    stream.quality_ok, stream.quality_reason = event.ok, event.reason
                self.log.info("quality", stream=event.stream, ok=event.ok, reason=event.reason)
        self.out.put(event)


class Supervisor:
    """Starts one :class:`DeviceSupervisor` per device and keeps them running."""

    def __init__(
        self,
        devices: list[DeviceSpec],
        *,
        clock: Clock,
        options: SupervisorOptions,
        out: BoundedQueue[Reading],
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or random.Random()
        self.devices = [
            DeviceSupervisor(d, clock=clock, options=options, out=out, rng=random.Random(rng.random()))
            for d in devices
        ]

    @property
    def status(self) -> dict[str, DeviceStatus]:
        return {d.spec.device_id: d.status for d in self.devices}

    def all_done(self) -> bool:
        """Every device has finished its recording or cannot run at all."""
        ended = (DeviceState.FINISHED, DeviceState.UNAVAILABLE, DeviceState.MISCONFIGURED)
        return all(d.status.state in ended for d in self.devices)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for d in self.devices:
                tg.create_task(d.run(), name=f"device:{d.spec.device_id}")


CATCH_UP_TURNS = 16  # loop turns a reading due in the same turn as the deadline needs to arrive (a few)


async def _arrives_once_the_loop_catches_up(pending: asyncio.Future[Any]) -> bool:
    """After a stall deadline: did the reading only wait for this process to run?

    A starved process (a busy companion computer, a CPU hog) wakes with the stall timer and the
    driver's next reading due in the same loop turn; the timer fires first. Blaming the device would
    disconnect a healthy sensor and invent a gap, so the loop runs the turns that are due first.
    """
    for _ in range(CATCH_UP_TURNS):
        if pending.done():
            return True
        await asyncio.sleep(0)  # one loop turn, no waiting on time
    return pending.done()
