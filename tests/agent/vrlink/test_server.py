"""The server over a real Unix socket: handshake, signals, app events, and the documented error responses."""

from __future__ import annotations

import os
import pwd
import socket
import stat
from pathlib import Path

import msgpack
import pytest

from agent.base.adaptation import Level
from agent.base.clock import Clock
from agent.errors import ConfigError
from agent.outputs.vrlink.client import HandshakeRefused, VrLinkClient
from agent.outputs.vrlink.messages import Ack, PainRating, SessionEnd, SessionStart, adaptation_to_wire
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.server import VrLinkServer

from .conftest import RawPeer, adaptation, running_server

STATUS = {"sensors": [{"id": "chest", "modality": "rr", "state": "connected", "quality": 0.875}], "quality": "good"}


def framed(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


async def test_handshake_then_adaptations_and_status(server: VrLinkServer, peers: list[RawPeer]) -> None:
    peers.append(peer := await RawPeer.open(server.socket_path))
    welcome = await peer.hello()
    assert welcome["version"] == 1 and welcome["capabilities"] == ["adaptation", "events", "status"]
    assert welcome["max_frame"] == 65536 and welcome["heartbeat_s"] == 1.0 and welcome["client_id"]
    a = adaptation(1)
    server.publish_adaptation(a)
    assert await peer.recv() == adaptation_to_wire(a)
    server.publish_status(STATUS)
    status = await peer.recv()
    assert status is not None and status["type"] == "status" and status["sensors"][0]["quality"] == 0.875
    assert status["calibration"] == {"state": "needed", "progress": 0.0} and isinstance(status["t"], float)


async def test_capabilities_are_negotiated(server: VrLinkServer, peers: list[RawPeer]) -> None:
    peers.append(peer := await RawPeer.open(server.socket_path))
    welcome = await peer.hello(capabilities=("status", "teleport"))
    assert welcome["capabilities"] == ["status"]
    server.publish_adaptation(adaptation(1))
    server.publish_status(STATUS)
    assert (await peer.recv() or {})["type"] == "status"  # no adaptation: not asked for
    await peer.send({"type": "marker", "label": "x", "id": 4})
    error = await peer.recv()
    assert error == {
        "type": "error",
        "code": "not_negotiated",
        "message": error["message"],
        "fatal": False,
        "ref": "marker",
        "id": 4,
    }


async def test_late_joiner_gets_status_and_only_a_live_adaptation(sock_dir: Path, peers: list[RawPeer]) -> None:
    clock = Clock(speed=50.0)  # the test's "real time" runs fast: what is left of a TTL is counted on it
    async with running_server(sock_dir, wall=clock) as server:
        server.publish_status(STATUS)
        server.publish_adaptation(adaptation(1, ttl_s=60.0))
        peers.append(live := await RawPeer.open(server.socket_path))
        await live.hello()
        first = await live.recv()
        assert first is not None and first["seq"] == 1 and 0 < first["ttl_s"] < 60.0  # what is left of its TTL
        assert (await live.recv() or {})["type"] == "status"

        server.publish_adaptation(adaptation(2, ttl_s=1.0))
        await clock.sleep(1.5)  # agent seconds: adaptation 2 has expired
        peers.append(late := await RawPeer.open(server.socket_path))
        await late.hello()
        server.publish_adaptation(adaptation(3))
        assert (await late.recv() or {})["type"] == "status"
        assert (await late.recv() or {})["seq"] == 3  # never the expired 2


async def test_app_events_are_acked_and_handed_to_the_agent(server: VrLinkServer, peers: list[RawPeer]) -> None:
    peers.append(peer := await RawPeer.open(server.socket_path))
    await peer.hello()
    sent = [
        {
            "type": "session_start",
            "id": 1,
            "session_id": "s1",
            "protocol_id": "gx-2",
            "scene_id": "beach",
            "t_app": 3.25,
        },
        {"type": "pain_rating", "id": "two", "session_id": "s1", "nrs": 7, "phase": "before"},
        {"type": "marker", "label": "scene-change", "session_id": "s1"},  # no id: no ack
        {"type": "heartbeat", "t": 4.0},  # not an event
        {"type": "pain_rating", "id": 3, "session_id": "s1", "nrs": 4, "phase": "after"},
        {"type": "session_end", "id": 4, "session_id": "s1"},
    ]
    for msg in sent:
        await peer.send(msg)
    acks = [await peer.recv() for _ in range(4)]
    assert [(a["type"], a["id"], a["ref"]) for a in acks if a] == [
        ("ack", 1, "session_start"),
        ("ack", "two", "pain_rating"),
        ("ack", 3, "pain_rating"),
        ("ack", 4, "session_end"),
    ]
    events = server.events()
    got = [await anext(events) for _ in range(5)]
    assert [e.message.type for e in got] == ["session_start", "pain_rating", "marker", "pain_rating", "session_end"]
    assert got[0].message == SessionStart(id=1, session_id="s1", protocol_id="gx-2", scene_id="beach", t_app=3.25)
    assert got[1].message == PainRating(id="two", session_id="s1", nrs=7, phase="before")
    assert got[4].message == SessionEnd(id=4, session_id="s1", reason="completed")
    assert all(e.client_id == got[0].client_id for e in got) and f"uid={os.geteuid()}" in got[0].peer
    assert [e.t for e in got] == sorted(e.t for e in got)


async def test_bad_input_gets_its_response_and_no_other_client_notices(
    server: VrLinkServer, peers: list[RawPeer]
) -> None:
    peers.append(bad := await RawPeer.open(server.socket_path))
    peers.append(good := await RawPeer.open(server.socket_path))
    await bad.hello()
    await good.hello()
    await good.start_session()

    await bad.send_raw(framed(b"\xc1garbage"))
    await bad.send({"type": "pain_rating", "id": 8, "session_id": "s", "nrs": "seven", "phase": "before"})
    await bad.send({"type": "teleport", "id": 9})
    await bad.send_raw(framed(msgpack.packb([1, 2, 3])))
    await bad.send({"type": "marker", "id": 10, "label": "still-listening"})
    responses = [await bad.recv() for _ in range(5)]
    assert [(r["type"], r.get("code"), r.get("fatal"), r.get("id")) for r in responses if r] == [
        ("error", "bad_frame", False, None),
        ("error", "invalid_message", False, 8),
        ("error", "unknown_type", False, 9),
        ("error", "bad_message", False, None),
        ("ack", None, None, 10),  # the link survived all of it
    ]

    server.publish_adaptation(adaptation(1))
    assert (await good.recv() or {})["seq"] == 1

    await bad.send_raw((1 << 31).to_bytes(4, "big"))  # a length nobody should believe
    assert await bad.recv_until_closed() == [
        adaptation_to_wire(adaptation(1)),
        {
            "type": "error",
            "code": "frame_too_large",
            "message": "length 2147483648 exceeds the 65536-byte limit",
            "fatal": True,
            "ref": None,
            "id": None,
        },
    ]
    server.publish_adaptation(adaptation(2))
    assert (await good.recv() or {})["seq"] == 2
    await good.send({"type": "marker", "id": 1, "label": "fine"})
    assert (await good.recv() or {})["type"] == "ack"
    counters = server.stats()["counters"]
    for code in ("bad_frame", "invalid_message", "unknown_type", "bad_message", "frame_too_large"):
        assert counters[f"errors.{code}"] == 1, code


@pytest.mark.parametrize(
    ("first_bytes", "code"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "frame_too_large"),  # 'GET ' read as a length
        (framed(msgpack.packb({"type": "marker", "label": "x"})), "hello_required"),
        (framed(msgpack.packb({"type": "hello", "versions": [2, 3]})), "unsupported_version"),
        (framed(msgpack.packb({"type": "hello", "versions": "1"})), "invalid_message"),
        (framed(b"\xc1"), "bad_frame"),
    ],
)
async def test_anything_wrong_before_the_hello_is_fatal(
    server: VrLinkServer, peers: list[RawPeer], first_bytes: bytes, code: str
) -> None:
    peers.append(peer := await RawPeer.open(server.socket_path))
    await peer.send_raw(first_bytes)
    (error,) = await peer.recv_until_closed()
    assert (error["type"], error["code"], error["fatal"]) == ("error", code, True)
    assert server.client_count == 0


async def test_error_budget_closes_a_client_that_keeps_sending_junk(sock_dir: Path, peers: list[RawPeer]) -> None:
    async with running_server(sock_dir, max_client_errors=3) as server:
        peers.append(peer := await RawPeer.open(server.socket_path))
        await peer.hello()
        await peer.send_raw(framed(b"\xc1") * 5)
        frames = await peer.recv_until_closed()
        assert [(f["code"], f["fatal"]) for f in frames] == [("bad_frame", False)] * 3 + [("too_many_errors", True)]


async def test_silent_clients_are_closed(sock_dir: Path, peers: list[RawPeer]) -> None:
    clock = Clock(speed=50.0)  # injected as the protocol's real time: 10 s of silence take 0.2 s
    timeouts = {"hello_timeout_s": 5.0, "idle_timeout_s": 10.0, "heartbeat_s": 3600.0}
    async with running_server(sock_dir, wall=clock, **timeouts) as server:
        peers.append(mute := await RawPeer.open(server.socket_path))
        (error,) = await mute.recv_until_closed()
        assert (error["code"], error["fatal"], error["message"]) == ("timeout", True, "no hello within 5.0 s")

        peers.append(idle := await RawPeer.open(server.socket_path))
        await idle.hello()
        (error,) = await idle.recv_until_closed()
        assert (error["code"], error["message"]) == ("timeout", "no frame for 10.0 s")


async def test_heartbeats_keep_both_sides_alive(sock_dir: Path) -> None:
    clock = Clock(speed=10.0)
    async with running_server(sock_dir, wall=clock, heartbeat_s=1.0, idle_timeout_s=3.0) as server:
        client = await VrLinkClient.connect_unix(server.socket_path, clock=clock)
        async with client:
            started = clock.now()
            beats = 0
            while clock.now() - started < 6.0:  # twice the idle timeout: the client's heartbeats keep it open
                msg = await client.recv()
                assert msg is not None and msg.type == "heartbeat"
                beats += 1
            assert beats >= 4
            assert server.client_count == 1


async def test_peer_not_on_the_allowlist_is_refused(sock_dir: Path) -> None:
    uid, gid = os.geteuid(), os.getegid()
    async with running_server(
        sock_dir, allow_self=False, allow_users=(uid + 4242,), allow_groups=(gid + 4242,)
    ) as server:
        peer = await RawPeer.open(server.socket_path)
        try:
            (error,) = await peer.recv_until_closed()  # refused before it can say anything
        finally:
            await peer.close()
        assert (error["code"], error["fatal"]) == ("forbidden", True)
        assert f"uid={uid}" in error["message"]
        with pytest.raises(HandshakeRefused) as info:
            await VrLinkClient.connect_unix(server.socket_path)
        assert info.value.error.code == "forbidden"
        assert server.stats()["counters"]["refused.forbidden"] == 2
        assert server.stats()["counters"].get("handshakes", 0) == 0


@pytest.mark.parametrize("allow", ["user-name", "group-id"])
async def test_allowlisted_peer_is_admitted(sock_dir: Path, allow: str) -> None:
    entry = {
        "user-name": {"allow_users": (pwd.getpwuid(os.geteuid()).pw_name,)},
        "group-id": {"allow_groups": (os.getegid(),)},
    }
    async with running_server(sock_dir, allow_self=False, **entry[allow]) as server:
        client = await VrLinkClient.connect_unix(server.socket_path)
        await client.close()
        assert client.welcome is not None


async def test_socket_file_mode_group_and_cleanup(sock_dir: Path) -> None:
    async with running_server(sock_dir, socket_mode="0640", socket_group="nogroup") as server:
        st = server.socket_path.lstat()
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == 65534
    assert not server.socket_path.exists()


async def test_stale_socket_is_replaced_but_a_live_one_is_not(sock_dir: Path) -> None:
    path = sock_dir / "vr.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # what a crash leaves behind
    async with running_server(sock_dir) as server:
        with pytest.raises(ConfigError, match="another process is listening"):
            await VrLinkServer(VrLinkOptions(socket_path=path), Clock()).start()
        assert server.socket_path.exists()
    (sock_dir / "file").write_text("not a socket")
    with pytest.raises(ConfigError, match="not a socket"):
        await VrLinkServer(VrLinkOptions(socket_path=sock_dir / "file"), Clock()).start()


async def test_tcp_needs_the_token(sock_dir: Path) -> None:
    token = "correct-horse-battery-staple"
    async with running_server(sock_dir, tcp={"port": 0, "token": token}) as server:
        assert server.tcp_address is not None
        host, port = server.tcp_address
        async with await VrLinkClient.connect_tcp(host, port, token) as client:
            server.publish_adaptation(adaptation(1, Level.CALM))
            msg = await client.recv()
            assert msg is not None and msg.type == "adaptation"
        with pytest.raises(HandshakeRefused) as info:
            await VrLinkClient.connect_tcp(host, port, "wrong-token-wrong-token")
        assert info.value.error.code == "unauthorized"


async def test_client_limit(sock_dir: Path, peers: list[RawPeer]) -> None:
    async with running_server(sock_dir, max_clients=2) as server:
        for _ in range(2):
            peers.append(p := await RawPeer.open(server.socket_path))
            await p.hello()
        peers.append(extra := await RawPeer.open(server.socket_path))
        (error,) = await extra.recv_until_closed()
        assert (error["code"], error["fatal"]) == ("busy", True)


async def test_a_full_event_queue_answers_busy_without_spending_the_error_budget(
    sock_dir: Path, peers: list[RawPeer]
) -> None:
    async with running_server(sock_dir, event_queue=1, max_client_errors=1) as server:
        peers.append(peer := await RawPeer.open(server.socket_path))
        await peer.hello()
        await peer.start_session()
        events = server.events()
        assert (await anext(events)).message.type == "session_start"  # the agent took it: room for one
        for i in range(3):
            await peer.send({"type": "marker", "id": i, "label": "m"})
        replies = [await peer.recv() for _ in range(3)]
        assert [(r["type"], r.get("code"), r["id"]) for r in replies if r] == [
            ("ack", None, 0),
            ("error", "busy", 1),
            ("error", "busy", 2),
        ]
        assert all(r["retry_after_s"] > 0 for r in replies[1:] if r)  # when to send it again
        assert (await anext(events)).message.id == 0
        await peer.send({"type": "marker", "id": 3, "label": "m"})
        assert (await peer.recv() or {})["type"] == "ack"  # still connected
        assert server.stats()["events"]["outcomes"]["busy"] == 2


async def test_python_client_round_trip(server: VrLinkServer) -> None:
    async with await VrLinkClient.connect_unix(server.socket_path, client="test/1") as client:
        await client.send(SessionStart(id=1, session_id="s", protocol_id="p", scene_id="x"))
        assert await client.recv() == Ack(id=1, ref="session_start")
    events = server.events()
    assert (await anext(events)).message.session_id == "s"


async def test_adaptation_seq_must_increase(server: VrLinkServer) -> None:
    server.publish_adaptation(adaptation(5))
    with pytest.raises(ValueError, match="seq must increase"):
        server.publish_adaptation(adaptation(5))
