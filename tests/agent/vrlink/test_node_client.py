"""The Node reference client (clients/node, @msgpack/msgpack) against the real server.

Needs ``npm ci --prefix clients/node`` first (scripts/test does it).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from agent.outputs.vrlink.hub import AppEvent
from agent.outputs.vrlink.messages import Marker, PainRating, SessionEnd, SessionStart
from agent.outputs.vrlink.server import VrLinkServer

from .conftest import adaptation

NODE_CLIENT = Path(__file__).resolve().parents[3] / "clients" / "node"


async def read_event(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    async with asyncio.timeout(10):
        line = await proc.stdout.readline()
    assert line, "the Node client exited early"
    return json.loads(line)  # type: ignore[no-any-return]


async def test_node_client_handshakes_receives_adaptations_and_reports_a_session(server: VrLinkServer) -> None:
    node = shutil.which("node")
    assert node, "node is required for this test (see scripts/test)"
    assert (NODE_CLIENT / "node_modules" / "@msgpack" / "msgpack").is_dir(), "run: npm ci --prefix clients/node"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(NODE_CLIENT / "session-demo.mjs"),
        "--socket",
        str(server.socket_path),
        "--adaptations",
        "3",
        "--session",
        "node-s1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        welcome = await read_event(proc)
        assert welcome["event"] == "welcome"
        assert welcome["welcome"]["capabilities"] == ["adaptation", "events", "status"]

        server.publish_status(
            {"sensors": [{"id": "gsr", "modality": "eda", "state": "connected"}], "quality": "degraded"}
        )
        assert await read_event(proc) == {"event": "status", "quality": "degraded", "sensors": 1}
        for seq in (1, 2, 3):
            a = adaptation(seq, reasons=(f"reason {seq}", "SCR rate ×3"))
            server.publish_adaptation(a)  # one at a time: a client that is behind only gets the latest
            got = await read_event(proc)
            assert got == {
                "event": "adaptation",
                "seq": seq,
                "level": "elevated",
                "distress": 0.625,
                "ttl_s": 5,
                "reasons": [f"reason {seq}", "SCR rate ×3"],
            }

        acks = [await read_event(proc) for _ in range(5)]
        assert [(a["event"], a["id"], a["ref"]) for a in acks] == [
            ("ack", 1, "session_start"),
            ("ack", 2, "pain_rating"),
            ("ack", 3, "marker"),
            ("ack", 4, "pain_rating"),
            ("ack", 5, "session_end"),
        ]
        assert await read_event(proc) == {"event": "done", "active": True}
        async with asyncio.timeout(10):
            _, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    events = server.events()
    recorded: list[AppEvent] = [await anext(events) for _ in range(5)]
    messages = [e.message for e in recorded]
    assert [type(m) for m in messages] == [SessionStart, PainRating, Marker, PainRating, SessionEnd]
    start, before, marker, after, end = messages
    assert isinstance(start, SessionStart) and (start.session_id, start.protocol_id, start.scene_id) == (
        "node-s1",
        "graded-exposure-v2",
        "beach",
    )
    assert isinstance(before, PainRating) and (before.nrs, before.phase) == (6, "before")
    assert isinstance(after, PainRating) and (after.nrs, after.phase) == (3, "after")
    assert isinstance(marker, Marker) and (marker.label, marker.scene_id, marker.value) == (
        "scene-change",
        "forest",
        2.5,
    )
    assert isinstance(end, SessionEnd) and end.reason == "completed"
    assert all(m.t_app is not None for m in messages)  # the app's own clock, kept for alignment
