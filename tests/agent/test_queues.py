from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.base.queues import BoundedQueue, Overflow, QueueClosed


@given(capacity=st.integers(1, 20), n=st.integers(0, 100))
def test_drop_oldest_keeps_the_newest_and_counts_the_rest(capacity, n):
    q: BoundedQueue[int] = BoundedQueue("q", capacity, Overflow.DROP_OLDEST)
    for i in range(n):
        q.put(i)
    kept = [q.get_nowait() for _ in range(len(q))]
    assert kept == list(range(max(0, n - capacity), n))
    assert q.dropped == max(0, n - capacity)


@given(capacity=st.integers(1, 20), n=st.integers(0, 100))
def test_drop_newest_keeps_the_first_and_counts_the_rest(capacity, n):
    q: BoundedQueue[int] = BoundedQueue("q", capacity, Overflow.DROP_NEWEST)
    accepted = [q.put(i) for i in range(n)]
    assert [q.get_nowait() for _ in range(len(q))] == list(range(min(n, capacity)))
    assert accepted.count(False) == q.dropped == max(0, n - capacity)


def test_keep_latest_holds_one():
    q: BoundedQueue[str] = BoundedQueue("adaptations", 99, Overflow.KEEP_LATEST)
    for s in "abc":
        q.put(s)
    assert q.capacity == 1 and len(q) == 1 and q.get_nowait() == "c" and q.dropped == 2


async def test_get_waits_for_put_and_close_drains_then_raises():
    q: BoundedQueue[int] = BoundedQueue("q", 4, Overflow.DROP_OLDEST)
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.put(7)
    assert await getter == 7
    q.put(8)
    q.close()
    assert await q.get() == 8
    with pytest.raises(QueueClosed):
        await q.get()
    assert q.put(9) is False and q.dropped == 1


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        BoundedQueue("q", 0, Overflow.DROP_OLDEST)


def test_under_overload_only_droppable_items_go_and_control_items_always_get_through():
    q: BoundedQueue[str] = BoundedQueue("readings", 3, Overflow.DROP_OLDEST, droppable=lambda s: s.startswith("chunk"))
    for item in ["chunk1", "gap", "chunk2", "chunk3", "quality", "chunk4", "disconnected", "connected"]:
        q.put(item)
    kept = [q.get_nowait() for _ in range(len(q))]
    assert kept == ["gap", "quality", "disconnected", "connected"]  # every control item, in order, past capacity
    assert q.dropped == 4  # every chunk, the oldest first
    full: BoundedQueue[str] = BoundedQueue("readings", 2, Overflow.DROP_OLDEST, droppable=lambda s: s.startswith("chunk"))
    full.put("gap")
    full.put("quality")
    assert not full.put("chunk9") and full.dropped == 1  # nothing older to drop: the new chunk goes
    assert [full.get_nowait(), full.get_nowait()] == ["gap", "quality"]
