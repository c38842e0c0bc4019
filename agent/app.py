"""The running agent: wires drivers, supervisor and pipeline, and owns the
lifecycle: start, stop on SIGTERM/SIGINT or after a set time, and shut down
within a bounded grace period."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal

import structlog

from agent.clock import Clock
from agent.config import AgentConfig
from agent.pipeline import Pipeline
from agent.queues import BoundedQueue, Overflow
from agent.supervisor import Reading, Supervisor

SHUTDOWN_GRACE_S = 2.0
log = structlog.get_logger("edge_agent")


class Agent:
    def __init__(self, config: AgentConfig, clock: Clock, rng: random.Random | None = None) -> None:
        self.config = config
        self.clock = clock
        self.readings: BoundedQueue[Reading] = BoundedQueue(
            "readings", config.supervisor.queue_capacity, Overflow.DROP_OLDEST
        )
        self.supervisor = Supervisor(
            config.devices, clock=clock, options=config.supervisor, out=self.readings, rng=rng
        )
        self.pipeline = Pipeline(self.readings)
        self.started_at = clock.now()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set or every device has finished (recordings played out)."""
        async with asyncio.TaskGroup() as tg:
            workers = [
                tg.create_task(self.supervisor.run(), name="supervisor"),
                tg.create_task(self.pipeline.run(), name="pipeline"),
            ]
            waiter = tg.create_task(stop.wait(), name="stop")
            sup = workers[0]
            await asyncio.wait([waiter, sup], return_when=asyncio.FIRST_COMPLETED)
            # Devices are done (or we are stopping): let the pipeline drain what was queued.
            self.readings.close()
            if stop.is_set():
                sup.cancel()
                workers[1].cancel()
            waiter.cancel()


async def run(agent: Agent, *, duration_s: float | None = None, stop: asyncio.Event | None = None) -> bool:
    """Run ``agent`` until a signal, ``duration_s`` of agent time, or its devices finish.

    Shutdown is bounded: if the stages have not wound down within
    ``SHUTDOWN_GRACE_S`` after the stop, they are abandoned and this returns
    False, so the caller can exit without waiting for them.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _on_signal, stop, sig)
            installed.append(sig)
    timer = None
    if duration_s is not None:
        timer = asyncio.create_task(_stop_after(agent.clock, duration_s, stop))
    task = asyncio.create_task(agent.run(stop))
    stopper = asyncio.create_task(stop.wait())
    clean = True
    try:
        await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            done, _ = await asyncio.wait([task], timeout=SHUTDOWN_GRACE_S)
            if not done:
                log.error("shutdown_timeout", grace_s=SHUTDOWN_GRACE_S)
                task.cancel()
                clean = False
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    finally:
        stopper.cancel()
        if timer is not None:
            timer.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
    log.info("stopped", uptime_s=round(agent.clock.now() - agent.started_at, 2), clean=clean)
    return clean


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("signal", signal=sig.name)
    stop.set()


async def _stop_after(clock: Clock, seconds: float, stop: asyncio.Event) -> None:
    await clock.sleep(seconds)
    stop.set()
