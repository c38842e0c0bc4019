"""Wait on conditions, never on time: poll a predicate each loop turn, with a bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from agent.base.queues import BoundedQueue

T = TypeVar("T")


async def until(predicate: Callable[[], bool], *, timeout_s: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.005)  # yield to the loop; the bound above ends the wait


async def collect(q: BoundedQueue[T], predicate: Callable[[list[T]], bool], *, timeout_s: float = 10.0) -> list[T]:
    """Drain ``q`` into a list until ``predicate(list)`` holds."""
    seen: list[T] = []

    async def _drain() -> None:
        while not predicate(seen):
            seen.append(await q.get())

    try:
        await asyncio.wait_for(_drain(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s} s; saw {len(seen)} items") from None
    return seen
