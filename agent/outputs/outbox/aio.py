"""The outbox for asyncio code: every SQLite call on one dedicated thread.

A commit with ``synchronous=FULL`` waits for an fsync (milliseconds on an SD
card), which must not stall the event loop that serves the VR app. One
thread owns the connection, so calls are serialised without locks.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Self, TypeVar

from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.outbox.options import OutboxOptions
from agent.outputs.outbox.store import Outbox, OutboxStats, PutResult, Record

T = TypeVar("T")


class AsyncOutbox:
    """:class:`Outbox` behind awaitables; ``changed`` is set whenever a record is added."""

    def __init__(self, executor: ThreadPoolExecutor, outbox: Outbox) -> None:
        self._executor = executor
        self._outbox = outbox
        self.changed = asyncio.Event()
        self.path = outbox.path

    @classmethod
    async def open(cls, options: OutboxOptions, state_dir: Path) -> AsyncOutbox:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        path = options.resolve_path(state_dir)
        opener = functools.partial(Outbox.open, path, max_bytes=options.max_bytes, durability=options.durability)
        try:
            outbox = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, outbox)

    async def close(self) -> None:
        await self._run(self._outbox.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def put(self, kind: RecordKind, payload: bytes, *, key: str | None = None, created: float | None = None) -> PutResult:
        result = await self._run(functools.partial(self._outbox.put, kind, payload, key=key, created=created))
        self.changed.set()
        return result

    async def pending(self, limit: int, *, exclude: Collection[int] = ()) -> list[Record]:
        return await self._run(functools.partial(self._outbox.pending, limit, exclude=frozenset(exclude)))

    async def delete(self, seqs: Iterable[int]) -> int:
        return await self._run(functools.partial(self._outbox.delete, tuple(seqs)))

    async def stats(self) -> OutboxStats:
        return await self._run(self._outbox.stats)

    async def _run(self, fn: Callable[[], T]) -> T:
        # shield: a cancelled caller must not abandon a half-done call; the thread finishes it anyway
        return await asyncio.shield(asyncio.get_running_loop().run_in_executor(self._executor, fn))
