"""Running the BLE drivers in tests: alone, or under the agent's real supervisor."""

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

from agent.base.clock import Clock
from agent.base.driver import DriverContext, DriverPlugin, bound_logger
from agent.base.events import Quality
from agent.base.queues import BoundedQueue, Overflow
from agent.base.stream import Chunk
from agent.runtime.supervisor import DeviceSpec, DeviceSupervisor, Reading, SupervisorOptions

Item = Chunk | Quality


def make_driver(plugin: DriverPlugin, clock: Clock, device_id: str = "strap", **options: Any) -> Any:
    return plugin.create(plugin.options(**options), DriverContext(device_id, clock, bound_logger(device_id)))


async def take(
    items: AsyncIterator[Item], done: Callable[[list[Item]], bool], *, timeout_s: float = 20.0
) -> list[Item]:
    """Read ``items`` until ``done(seen)`` holds; bounded in real time."""
    seen: list[Item] = []
    async with asyncio.timeout(timeout_s):
        while not done(seen):
            seen.append(await anext(items))
    return seen


def chunks_of(items: list[Any], stream: str) -> list[Chunk]:
    return [c for c in items if isinstance(c, Chunk) and c.spec.name == stream]


@contextlib.asynccontextmanager
async def supervised(
    plugin: DriverPlugin, clock: Clock, **options: Any
) -> AsyncIterator[tuple[DeviceSupervisor, BoundedQueue[Reading]]]:
    """The driver under the agent's DeviceSupervisor (reconnects, stalls, gaps), as `edge-agent run` runs it."""
    out: BoundedQueue[Reading] = BoundedQueue("readings", 100_000, Overflow.DROP_OLDEST)
    sup = DeviceSupervisor(
        DeviceSpec("strap", plugin, plugin.options(**options)),
        clock=clock,
        options=SupervisorOptions(backoff_initial_s=0.5, backoff_max_s=2.0, connect_timeout_s=60.0),
        out=out,
        rng=random.Random(7),
    )
    task = asyncio.create_task(sup.run())
    try:
        yield sup, out
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
