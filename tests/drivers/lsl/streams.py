"""Reading a driver in tests: bounded, never open-ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from agent.base.events import Quality
from agent.base.stream import Chunk
from drivers.lsl.driver import LslDriver
from drivers.lsl.plugin import LslOptions

Item = Chunk | Quality


def lsl_driver(device_id: str = "eeg-test", clock: Clock | None = None, **options: Any) -> LslDriver:
    return LslDriver(
        LslOptions.model_validate(options), DriverContext(device_id, clock or Clock(), bound_logger(device_id))
    )


async def read_until(
    items: AsyncIterator[Item],
    done: Callable[[list[Item]], bool],
    *,
    timeout_s: float = 15.0,
    on_item: Callable[[Item], Any] | None = None,
) -> list[Item]:
    """Take items until ``done(seen)``; ``on_item`` may start or stop outlets (it may be async)."""
    seen: list[Item] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not done(seen):
                item = await anext(items)
                seen.append(item)
                if on_item is not None:
                    result = on_item(item)
                    if asyncio.iscoroutine(result):
                        await result
    except TimeoutError:
        kinds = [type(i).__name__ for i in seen[-5:]]
        raise AssertionError(f"timed out after {timeout_s} s with {len(seen)} items (last: {kinds})") from None
    return seen


def chunks_of(items: list[Item]) -> list[Chunk]:
    return [i for i in items if isinstance(i, Chunk)]


def samples(items: list[Item]) -> int:
    return sum(len(c) for c in chunks_of(items))


def find_start(signal: np.ndarray, received: np.ndarray) -> int:
    """The index in ``signal`` of the first received sample (checked against all of them)."""
    n = signal.shape[0]
    for k in np.flatnonzero((signal == received[0]).all(axis=1)):
        if np.array_equal(signal[(k + np.arange(received.shape[0])) % n], received):
            return int(k)
    raise AssertionError("the received samples are not a contiguous run of the published ones")
