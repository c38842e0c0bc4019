"""Recorded events over a real socket: exactly once, one answer each, the session rules, forward compatibility.

The journal is a real SQLite file (synchronous=FULL): an ack here means a commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from agent.base.clock import Clock
from agent.outputs.vrlink.frames import encode_frame
from agent.outputs.vrlink.journal import JournalStore
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.recording import AppEvent, EventJournal
from agent.outputs.vrlink.server import VrLinkServer

from .conftest import RawPeer

BURST = 5000


async def journaled_server(sock_dir: Path, **options: Any) -> tuple[VrLinkServer, EventJournal]:
    journal = await EventJournal.open(sock_dir / "vr-journal.sqlite3")
    server = VrLinkServer(VrLinkOptions(socket_path=sock_dir / "vr.sock", **options), Clock(), journal=journal)
    await server.start()
    return server, journal


async def shut(server: VrLinkServer, journal: EventJournal) -> None:
    await server.close()
    await journal.close()


def stored(sock_dir: Path, session_id: str) -> list[tuple[str, Any]]:
    """(type, id) of every event the journal holds for the session, read by a second connection."""
    store = JournalStore.open(sock_dir / "vr-journal.sqlite3")
    try:
        return [(e.message.type, e.message.id) for e in store.events(session_id)]
    finally:
        store.close()


async def consume(server: VrLinkServer, into: list[AppEvent]) -> None:
    """The agent's side: take every newly recorded event."""
    async for event in server.events():
        into.append(event)


async def test_a_resent_event_is_recorded_once_across_reconnects(sock_dir: Path) -> None:
    server, journal = await journaled_server(sock_dir)
    taken: list[AppEvent] = []
    consumer = asyncio.create_task(consume(server, taken))
    try:
        first = await RawPeer.open(server.socket_path)
        await first.hello()
        await first.start_session("s1", msg_id=1)
        rating = {"type": "pain_rating", "id": 2, "session_id": "s1", "nrs": 6, "phase": "before", "t_app": 12.5}
        await first.send(rating)
        await first.send(rating)  # the app did not see the ack in time and resent it
        assert [await first.recv() for _ in range(2)] == [{"type": "ack", "id": 2, "ref": "pain_rating"}] * 2
        await first.close()  # the link is lost; the app reconnects and resends once more
        second = await RawPeer.open(server.socket_path)
        await second.hello()
        await second.send(rating)
        await second.send({**rating, "id": "2"})  # a string id is another id than the integer 2
        replies = [await second.recv() for _ in range(2)]
        assert [(r["type"], r["id"]) for r in replies if r] == [("ack", 2), ("ack", "2")]
        await second.close()
    finally:
        await shut(server, journal)
        consumer.cancel()
    assert stored(sock_dir, "s1") == [("session_start", 1), ("pain_rating", 2), ("pain_rating", "2")]
    assert [(e.message.type, e.message.id) for e in taken] == stored(sock_dir, "s1")  # the agent saw each once
    assert server.stats()["counters"]["events_duplicate"] == 2


@pytest.mark.parametrize("event_queue", [1024, 16])  # 16: fewer than one client's answers in flight, so some busy
async def test_a_burst_gets_one_answer_per_event_and_every_ack_is_recorded_once(
    sock_dir: Path, event_queue: int
) -> None:
    server, journal = await journaled_server(sock_dir, event_queue=event_queue)
    taken: list[AppEvent] = []
    consumer = asyncio.create_task(consume(server, taken))
    try:
        peer = await RawPeer.open(server.socket_path)
        await peer.hello()
        await peer.start_session("burst")
        frames = [{"type": "marker", "id": i, "session_id": "burst", "label": "m"} for i in range(BURST)]
        sender = asyncio.create_task(peer.send_raw(b"".join(encode_frame(f) for f in frames)))  # one write, all at once
        answers = [await peer.recv() for _ in range(BURST)]
        await sender
        await peer.close()
    finally:
        await shut(server, journal)
        consumer.cancel()
    assert all(a is not None for a in answers)
    kinds = [(a["type"], a.get("code")) for a in answers if a]
    assert set(kinds) <= {("ack", None), ("error", "busy")}
    assert [a["id"] for a in answers if a] == list(range(BURST))  # one answer each, in the order sent
    acked = [a["id"] for a in answers if a and a["type"] == "ack"]
    assert [i for t, i in stored(sock_dir, "burst") if t == "marker"] == acked  # recorded exactly once
    assert server.stats()["control_dropped"] == 0
    if event_queue < server.options.control_queue:
        assert ("error", "busy") in kinds and all(a["retry_after_s"] > 0 for a in answers if a and a["type"] == "error")


async def test_a_hundred_unknown_types_are_ignored_and_the_link_stays_up(sock_dir: Path) -> None:
    server, journal = await journaled_server(sock_dir, max_client_errors=3)
    try:
        peer = await RawPeer.open(server.socket_path)
        await peer.hello()
        await peer.start_session()
        for i in range(100):  # 50 types, each twice, with unknown fields too
            await peer.send({"type": f"future_{i % 50}", "id": i, "payload": {"x": 1}})
        await peer.send({"type": "marker", "id": "after", "label": "still-here", "future_field": True})
        replies = []
        while (reply := await peer.recv()) is not None and reply["type"] != "ack":
            replies.append(reply)
        assert reply == {"type": "ack", "id": "after", "ref": "marker"}
        assert all((r["code"], r["fatal"]) == ("unknown_type", False) for r in replies)
        noticed = [r["ref"] for r in replies]
        assert len(noticed) == len(set(noticed)) == 16  # at most one notice per type, and a bounded number
        counters = server.stats()["counters"]
        assert counters["ignored.types"] == 100 and counters["ignored.fields"] == 1
        assert server.client_count == 1  # the link is up
        await peer.close()
    finally:
        await shut(server, journal)


async def test_events_that_cannot_be_recorded_get_their_error_never_an_ack(sock_dir: Path) -> None:
    server, journal = await journaled_server(sock_dir)
    try:
        app = await RawPeer.open(server.socket_path)
        other = await RawPeer.open(server.socket_path)
        await app.hello()
        await other.hello()

        async def answer(peer: RawPeer, msg: dict[str, Any]) -> tuple[str, Any]:
            await peer.send(msg)
            reply = await peer.recv()
            assert reply is not None and reply["id"] == msg["id"]
            return reply["type"], reply.get("code")

        rating = {"type": "pain_rating", "session_id": "s1", "nrs": 5, "phase": "before"}
        assert await answer(app, {**rating, "id": 1}) == ("error", "no_session")
        assert await answer(app, {"type": "marker", "id": 2, "label": "x"}) == ("error", "no_session")
        await app.start_session("s1")
        assert await answer(app, {**rating, "id": 3}) == ("ack", None)
        start_again = {"type": "session_start", "id": 4, "session_id": "s1", "protocol_id": "p", "scene_id": "b"}
        assert await answer(app, start_again) == ("ack", None)  # the open session: started once, whatever the id

        # Another client starts a session: it supersedes s1, and s1's client is told.
        await other.start_session("s2")
        notice = await app.recv()
        assert notice is not None and (notice["code"], notice["fatal"], notice["id"]) == ("superseded", False, None)
        assert "'s1'" in notice["message"] and "'s2'" in notice["message"]
        assert await answer(app, {**rating, "id": 5}) == ("error", "superseded")
        assert await answer(app, {**rating, "id": 3}) == ("ack", None)  # a resend of what was recorded is acked

        end = {"type": "session_end", "id": 6, "session_id": "s2"}
        assert await answer(other, end) == ("ack", None)
        assert await answer(other, {**rating, "session_id": "s2", "id": 7}) == ("error", "session_closed")
        assert await answer(other, end) == ("ack", None)  # the lost ack of an end, resent
        assert await answer(other, {**start_again, "session_id": "s2", "id": 8}) == ("error", "session_closed")
        await app.close()
        await other.close()
    finally:
        await shut(server, journal)
    assert stored(sock_dir, "s1") == [("session_start", "start"), ("pain_rating", 3)]
    assert stored(sock_dir, "s2") == [("session_start", "start"), ("session_end", 6)]
    counters = server.stats()["counters"]
    assert counters.get("errors.too_many_errors", 0) == 0 and counters["errors.superseded"] == 2



async def test_an_event_the_journal_cannot_commit_is_answered_busy_and_the_link_goes_on(sock_dir: Path) -> None:
    server, journal = await journaled_server(sock_dir)
    try:
        peer = await RawPeer.open(server.socket_path)
        await peer.hello()
        await peer.start_session()
        broken = sqlite3.connect(sock_dir / "vr-journal.sqlite3")  # the disk goes bad under the agent
        broken.execute("ALTER TABLE events RENAME TO events_lost")
        broken.commit()
        await peer.send({"type": "marker", "id": 1, "session_id": "s1", "label": "m"})
        reply = await peer.recv()
        assert reply is not None and (reply["code"], reply["id"], reply["fatal"]) == ("busy", 1, False)
        assert reply["retry_after_s"] > 0
        broken.execute("ALTER TABLE events_lost RENAME TO events")  # repaired: the resend is recorded
        broken.commit()
        broken.close()
        await peer.send({"type": "marker", "id": 1, "session_id": "s1", "label": "m"})
        assert await peer.recv() == {"type": "ack", "id": 1, "ref": "marker"}
        await peer.close()
    finally:
        await shut(server, journal)
    assert stored(sock_dir, "s1") == [("session_start", "start"), ("marker", 1)]
    assert server.stats()["events"]["outcomes"]["journal_failed"] == 1
