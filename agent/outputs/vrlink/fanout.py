"""What waits to be written to one VR client, by lane.

Frames are encoded once per publish and shared by every client. Each client
has its own lanes so a slow reader only ever holds a few frames:

- ``control`` (welcome, acks, errors): ordered, bounded, drop-newest;
- ``adaptation``, ``status``, ``heartbeat``: keep-latest, so a client that
  cannot keep up skips to the newest adaptation and each skipped one is
  counted, while the publisher never waits.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from agent.base.queues import BoundedQueue, Overflow


@dataclass(frozen=True, slots=True)
class Outgoing:
    kind: str  # the message type, for counters
    frame: bytes
    queued_ns: int = field(default_factory=time.perf_counter_ns)  # for the encode-and-send latency figure


class Mailbox:
    def __init__(self, name: str, control_capacity: int) -> None:
        self.control: BoundedQueue[Outgoing] = BoundedQueue(f"{name}.control", control_capacity, Overflow.DROP_NEWEST)
        self.adaptation: BoundedQueue[Outgoing] = BoundedQueue(f"{name}.adaptation", 1, Overflow.KEEP_LATEST)
        self.status: BoundedQueue[Outgoing] = BoundedQueue(f"{name}.status", 1, Overflow.KEEP_LATEST)
        self.heartbeat: BoundedQueue[Outgoing] = BoundedQueue(f"{name}.heartbeat", 1, Overflow.KEEP_LATEST)
        self._lanes = (self.control, self.adaptation, self.status, self.heartbeat)
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()  # set each time the writer takes what is queued
        self._closed = False
        self.idle = False  # the writer is waiting and every lane is empty

    def put(self, lane: BoundedQueue[Outgoing], item: Outgoing) -> bool:
        if self._closed:
            return False
        accepted = lane.put(item)
        self.idle = False
        self._wake.set()
        return accepted

    def close(self) -> None:
        """No more frames; :meth:`take` returns what is left, then an empty list."""
        self._closed = True
        self._wake.set()
        self._drained.set()

    @property
    def closed(self) -> bool:
        return self._closed

    async def drained(self) -> None:
        """Wait until the writer next takes the queued frames, room is freed, or the mailbox closes."""
        self._drained.clear()
        await self._drained.wait()

    def room_freed(self) -> None:
        """Room was made elsewhere (an answer that needs no frame): wake :meth:`drained`."""
        self._drained.set()

    async def take(self) -> list[Outgoing]:
        """Everything queued, control first; waits while empty; [] once closed and drained."""
        while True:
            batch = [item for lane in self._lanes for item in _drain(lane)]
            if batch:
                self._drained.set()
            if batch or self._closed:
                return batch
            self._wake.clear()
            self.idle = True
            try:
                await self._wake.wait()
            finally:
                self.idle = False

    @property
    def dropped_adaptations(self) -> int:
        return self.adaptation.dropped

    def stats(self) -> dict[str, dict[str, int | str]]:
        return {lane.name.rsplit(".", 1)[-1]: lane.stats() for lane in self._lanes}


def _drain(lane: BoundedQueue[Outgoing]) -> list[Outgoing]:
    out = []
    while (item := lane.get_nowait()) is not None:
        out.append(item)
    return out
