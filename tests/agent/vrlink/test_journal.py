"""The event journal after a restart: what is resumed, what is summarised, and the summaries rebuilt from it."""

from __future__ import annotations

from pathlib import Path

from agent.base.queues import BoundedQueue, Overflow
from agent.outputs.outbox import AsyncOutbox, OutboxOptions
from agent.outputs.summaries.records import SessionSummary, SummaryRecord
from agent.outputs.sync.writer import RecordWriter
from agent.outputs.vrlink.journal import KEEP_SUMMARISED_S, JournalStore, Submitted
from agent.outputs.vrlink.messages import Marker, PainRating, SessionEnd, SessionStart
from agent.runtime.reporting import SummaryRecorder


def start(session_id: str, msg_id: int) -> SessionStart:
    return SessionStart(id=msg_id, session_id=session_id, protocol_id="p", scene_id="beach", t_app=1.5)


def test_a_restart_resumes_the_open_session_and_summarises_the_finished_ones(tmp_path: Path) -> None:
    path = tmp_path / "vr-journal.sqlite3"
    store = JournalStore.open(path)
    events = [
        start("s1", 1),
        PainRating(id=2, session_id="s1", nrs=7, phase="before"),
        start("s2", 3),  # supersedes s1
        Marker(id=4, label="scene-change"),  # no session_id: the open session, s2
        SessionEnd(id=5, session_id="s2"),
        start("s3", 6),
        PainRating(id=7, session_id="s3", nrs=4, phase="before", t_app=9.0),
    ]
    outcomes = store.record([Submitted(1000.0 + i * 10, "c1", m) for i, m in enumerate(events)])
    assert [o.code for o in outcomes] == ["recorded"] * 7 and outcomes[2].superseded == "s1"
    store.close()  # kill -9 here loses nothing: every batch was one committed transaction

    store = JournalStore.open(path)
    recovered = store.recover(now=2000.0)
    assert [(s.session_id, s.state, s.restarts, len(s.events)) for s in recovered] == [
        ("s1", "superseded", 0, 2),
        ("s2", "ended", 0, 3),
        ("s3", "open", 1, 2),
    ]

    out: BoundedQueue[SummaryRecord] = BoundedQueue("summaries", 16, Overflow.DROP_NEWEST)
    recorder = SummaryRecorder(wall_offset=900.0, out=out)
    recorder.restore(recovered)
    summaries = [r for r in iter(out.get_nowait, None) if isinstance(r, SessionSummary)]
    s1, s2 = summaries
    assert (s1.session_id, s1.completed, s1.end_reason) == ("s1", False, "superseded by session 's2'")
    assert (s1.start, s1.end, s1.start_id, s1.t_app_start) == (1000.0, 1020.0, 1, 1.5)
    assert [(p.id, p.score) for p in s1.pain_ratings] == [(2, 7.0)]
    assert (s2.session_id, s2.completed, s2.start_id, s2.end_id) == ("s2", True, 3, 5)
    assert [(m.id, m.label, m.at_s) for m in s2.markers] == [(4, "scene-change", 10.0)]
    assert recorder.sessions.open_session == "s3"

    for s in summaries:
        store.mark_summarised(s.session_id)
    (again,) = store.recover(now=2000.0)
    assert (again.session_id, again.restarts) == ("s3", 2)  # the next restart resumes it again
    assert store.counts() == {"sessions": 3, "events": 7}
    store.recover(now=1040.0 + KEEP_SUMMARISED_S + 1)
    assert store.counts() == {"sessions": 1, "events": 2}  # summarised sessions are pruned after a week
    store.close()


async def test_a_summary_rebuilt_after_a_crash_is_the_same_outbox_record(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path / "vr-journal.sqlite3")
    store.record([Submitted(1000.0, "c1", start("s1", 1)), Submitted(1010.0, "c1", SessionEnd(id=2, session_id="s1"))])
    key = store.summary_key("s1")
    store.close()
    store = JournalStore.open(tmp_path / "vr-journal.sqlite3")  # the agent died before mark_summarised
    assert store.summary_key("s1") == key
    store.close()

    summary = SessionSummary(session_id="s1", start=1000.0, end=1010.0, duration_s=10.0, completed=True)
    async with await AsyncOutbox.open(OutboxOptions(), tmp_path) as outbox:
        writer = RecordWriter(outbox, "site", "device")
        first = await writer.write(summary, key=key)
        assert first is not None and first.record is not None and first.record.key == key
        assert await writer.write(summary, key=key) is None  # already waiting: not stored twice
        assert [r.key for r in await outbox.pending(10)] == [key]
