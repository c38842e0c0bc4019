"""The outbox: send order, eviction exactly as documented, expiry, and crash-safety as a stateful property."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from agent.outputs.outbox import RECORD_OVERHEAD, Durability, Outbox, RecordKind, RecordTooLarge

H, M, S = RecordKind.HEALTH, RecordKind.MINUTE, RecordKind.SESSION
ROOM = 100 + RECORD_OVERHEAD  # one 100-byte record


def box(tmp_path: Path, records: int = 4) -> Outbox:
    return Outbox.open(tmp_path / "outbox.sqlite3", max_bytes=records * ROOM)


def put(o: Outbox, kind: RecordKind, tag: str) -> str | None:
    r = o.put(kind, tag.encode().ljust(100, b"."), key=f"00000000-0000-4000-8000-{tag.rjust(12, '0')}")
    return None if r.record is None else r.record.key[-len(tag):]


def stored(o: Outbox) -> list[str]:
    return [r.payload.rstrip(b".").decode() for r in o.pending(100)]


def test_send_order_is_session_then_minute_then_health_oldest_first(tmp_path: Path) -> None:
    o = box(tmp_path, 10)
    for kind, tag in [(H, "h1"), (M, "m1"), (S, "s1"), (M, "m2"), (H, "h2"), (S, "s2")]:
        put(o, kind, tag)
    assert stored(o) == ["s1", "s2", "m1", "m2", "h1", "h2"]
    assert [r.payload.rstrip(b".").decode() for r in o.pending(2, exclude={3})] == ["s2", "m1"]  # seq 3 is s1


def test_eviction_takes_health_then_oldest_minutes_and_never_a_session_for_a_minute(tmp_path: Path) -> None:
    o = box(tmp_path, 4)
    for kind, tag in [(M, "m1"), (H, "h1"), (S, "s1"), (M, "m2")]:
        put(o, kind, tag)
    put(o, M, "m3")  # full: health goes first
    assert stored(o) == ["s1", "m1", "m2", "m3"]
    put(o, S, "s2")  # then the oldest minute
    assert stored(o) == ["s1", "s2", "m2", "m3"]
    put(o, M, "m4")  # a minute may evict an older minute
    assert stored(o) == ["s1", "s2", "m3", "m4"]
    put(o, S, "s3"), put(o, S, "s4")
    assert stored(o) == ["s1", "s2", "s3", "s4"]
    assert put(o, M, "m5") is None  # only sessions left: the newcomer minute is the one dropped
    assert stored(o) == ["s1", "s2", "s3", "s4"]
    put(o, S, "s5")  # a session evicts the oldest session only when nothing ranks lower
    assert stored(o) == ["s2", "s3", "s4", "s5"]
    stats = o.stats()
    assert stats.evicted == {"health": 1, "summary.minute": 5, "summary.session": 1}
    assert stats.records == 4 and stats.bytes == 4 * ROOM <= stats.max_bytes


def test_a_newcomer_that_cannot_fit_changes_nothing_else(tmp_path: Path) -> None:
    o = box(tmp_path, 4)
    for kind, tag in [(S, "s1"), (S, "s2"), (S, "s3"), (M, "m1")]:
        put(o, kind, tag)
    big = o.put(M, b"x" * (2 * ROOM - RECORD_OVERHEAD))  # would need m1 and a session
    assert big.record is None and big.evicted == (("summary.minute", big.evicted[0][1]),)
    assert stored(o) == ["s1", "s2", "s3", "m1"]


def test_a_record_bigger_than_the_outbox_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordTooLarge):
        box(tmp_path, 1).put(S, b"x" * (ROOM + 1))


def test_stale_health_records_expire_and_are_counted(tmp_path: Path) -> None:
    o = box(tmp_path, 10)
    o.put(H, b"old", created=0.0)
    o.put(H, b"new")
    assert [r.payload for r in o.pending(10)] == [b"new"]
    o.put(M, b"m")  # any write purges what has expired
    assert o.stats().expired == {"health": 1} and o.stats().records == 2


def test_contents_and_counters_survive_reopening(tmp_path: Path) -> None:
    o = box(tmp_path, 2)
    for tag in ["m1", "m2", "m3"]:
        put(o, M, tag)
    o.delete([r.seq for r in o.pending(1)])
    o.close()
    o = box(tmp_path, 2)
    assert stored(o) == ["m3"] and o.stats().evicted == {"summary.minute": 1}
    assert o.delete([999]) == 0


@dataclass
class Modelled:
    seq: int
    kind: RecordKind
    size: int


class OutboxMachine(RuleBasedStateMachine):
    """The outbox against a list-based model of the documented rule, across reopen and abandoned transactions."""

    def __init__(self) -> None:
        super().__init__()
        self.model: list[Modelled] = []
        self.evicted: dict[str, int] = {}
        self.next_seq = 1

    @initialize(target=None, path=st.just(None))
    def open(self, path: None) -> None:
        import tempfile

        self.dir = Path(tempfile.mkdtemp(prefix="outbox-machine-"))
        self.max_bytes = 6 * ROOM
        self.o = Outbox.open(self.dir / "o.sqlite3", max_bytes=self.max_bytes, durability=Durability.NORMAL)

    @rule(kind=st.sampled_from([H, M, S]), size=st.integers(0, 3 * 100))
    def put(self, kind: RecordKind, size: int) -> None:
        cost = size + RECORD_OVERHEAD
        result = self.o.put(kind, b"p" * size)
        need = sum(r.size for r in self.model) + cost - self.max_bytes
        victims: list[Modelled] = []
        for r in sorted((r for r in self.model if r.kind.rank <= kind.rank), key=lambda r: (r.kind.rank, r.seq)):
            if need <= 0:
                break
            victims.append(r)
            need -= r.size
        if need > 0:  # the newcomer itself is dropped, nothing else changes
            assert result.record is None
            self.evicted[str(kind)] = self.evicted.get(str(kind), 0) + 1
            return
        assert result.record is not None
        for v in victims:
            self.model.remove(v)
            self.evicted[str(v.kind)] = self.evicted.get(str(v.kind), 0) + 1
        self.model.append(Modelled(result.record.seq, kind, cost))

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def deliver_some(self, data: st.DataObject) -> None:
        gone = data.draw(st.lists(st.sampled_from(self.model), unique_by=lambda r: r.seq, max_size=3))
        assert self.o.delete([r.seq for r in gone]) == len(gone)
        for r in gone:
            self.model.remove(r)

    @rule()
    def reopen(self) -> None:
        self.o.close()
        self.o = Outbox.open(self.dir / "o.sqlite3", max_bytes=self.max_bytes, durability=Durability.NORMAL)

    @rule()
    def crash_mid_transaction(self) -> None:
        # another connection dies halfway through a write: nothing of it may remain
        db = sqlite3.connect(self.dir / "o.sqlite3", isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO records (key, kind, rank, created, size, payload) VALUES ('x', 'health', 0, 0, 9, x'00')")
        db.execute("DELETE FROM records")
        db.close()

    @invariant()
    def matches_the_model(self) -> None:
        pending = self.o.pending(1000, now=0.0)
        expected = sorted(self.model, key=lambda r: (-r.kind.rank, r.seq))
        assert [(r.seq, r.kind) for r in pending] == [(r.seq, r.kind) for r in expected]
        stats = self.o.stats()
        assert stats.bytes == sum(r.size for r in self.model) <= self.max_bytes
        assert stats.records == len(self.model)
        assert stats.evicted == self.evicted

    def teardown(self) -> None:
        self.o.close()
        shutil.rmtree(self.dir)


OutboxMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
test_outbox_against_its_model = OutboxMachine.TestCase
