"""Bounded asyncio queues whose overflow behaviour is named and counted.

A producer never waits: ``put`` always returns at once, and what happens
when the queue is full is the queue's declared ``Overflow`` policy. Every
dropped item is counted, so a slow consumer shows up in status and logs
instead of as a slow memory leak or a blocked driver.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from agent.errors import AgentError

T = TypeVar("T")


class Overflow(enum.Enum):
    DROP_OLDEST = "drop-oldest"  # keep the freshest data (sample streams)
    DROP_NEWEST = "drop-newest"  # keep what is already queued (ordered logs)
    KEEP_LATEST = "keep-latest"  # only the newest item matters (adaptations to a slow VR client)


class QueueClosed(AgentError):
    """``get`` on a queue that was closed and drained: the producer is done, so is the consumer."""


class BoundedQueue(Generic[T]):
    """A single-consumer queue with a fixed capacity and a named overflow policy."""

    def __init__(
        self, name: str, capacity: int, overflow: Overflow, *, droppable: Callable[[T], bool] | None = None
    ) -> None:
        """``droppable`` (with DROP_OLDEST): only items it accepts are ever dropped; the others
        (control events a consumer must see) are kept even past ``capacity``."""
        if capacity < 1:
            raise ValueError(f"queue {name!r}: capacity must be >= 1, got {capacity}")
        self.name = name
        self.capacity = 1 if overflow is Overflow.KEEP_LATEST else capacity
        self.overflow = overflow
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self.put_count = 0
        self.dropped = 0
        self._droppable = droppable

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> bool:
        """Enqueue without waiting; returns False if ``item`` itself was dropped."""
        if self._closed:
            self.dropped += 1
            return False
        self.put_count += 1
        if len(self._items) >= self.capacity:
            if self.overflow is Overflow.DROP_NEWEST:
                self.dropped += 1
                return False
            if self._droppable is None:
                self._items.popleft()
                self.dropped += 1
            elif not self._drop_oldest_droppable() and self._droppable(item):
                self.dropped += 1
                return False
        self._items.append(item)
        self._ready.set()
        return True

    def _drop_oldest_droppable(self) -> bool:
        for i, queued in enumerate(self._items):
            if self._droppable(queued):  # type: ignore[misc]
                del self._items[i]
                self.dropped += 1
                return True
        return False

    async def get(self) -> T:
        while not self._items:
            if self._closed:
                raise QueueClosed(self.name)
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def get_nowait(self) -> T | None:
        return self._items.popleft() if self._items else None

    def close(self) -> None:
        """No more puts; ``get`` drains what is left, then raises QueueClosed."""
        self._closed = True
        self._ready.set()

    def stats(self) -> dict[str, int | str]:
        return {
            "name": self.name,
            "depth": len(self._items),
            "capacity": self.capacity,
            "overflow": self.overflow.value,
            "put": self.put_count,
            "dropped": self.dropped,
        }
