"""The VR link of a real `edge-agent run` process: acks survive `kill -9`, protocol time is wall time,
and the Node client's whole session is summarised with every id."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from agent.outputs.outbox import Outbox, RecordKind
from agent.outputs.summaries.records import SessionSummary
from agent.outputs.sync.codec import decode_record
from agent.outputs.vrlink.journal import JournalStore
from agent.outputs.vrlink.recording import JOURNAL_FILE
from tests.agent.vrlink.conftest import RawPeer
from tests.support.waiting import until

NODE_CLIENT = Path(__file__).resolve().parents[2] / "clients" / "node"
CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[vrlink]
socket_path = "{tmp}/run/vr.sock"
{vrlink}
[devices.chest-strap]
driver = "sim-chest-strap"
"""


def write_config(tmp: Path, vrlink: str = "") -> Path:
    cfg = tmp / "agent.toml"
    cfg.write_text(CONFIG.format(tmp=tmp, vrlink=vrlink))
    return cfg


@asynccontextmanager
async def agent_process(cfg: Path, *args: str) -> AsyncIterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k != "EDGE_AGENT_CONFIG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(cfg), "--view", "none", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


async def connect(sock: Path) -> RawPeer:
    """Once the agent listens (a socket file left by a killed agent refuses until then)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            peer = await RawPeer.open(sock)
            await peer.hello(capabilities=("events",))
            return peer
        except (FileNotFoundError, ConnectionError, AssertionError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)  # polling for the agent to come up, bounded above


async def acked(peer: RawPeer, msg: dict[str, Any]) -> None:
    await peer.send(msg)
    reply = await peer.recv(timeout_s=30)
    assert reply == {"type": "ack", "id": msg["id"], "ref": msg["type"]}, reply


async def arrival(peer: RawPeer) -> tuple[dict[str, Any], float]:
    """The next frame and the wall time it arrived."""
    frame = await peer.recv(timeout_s=30)
    assert frame is not None
    return frame, time.monotonic()


def link_stats(tmp: Path) -> dict[str, Any]:
    try:
        return json.loads((tmp / "run" / "status.json").read_text()).get("vrlink") or {}  # type: ignore[no-any-return]
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def session_summaries(tmp: Path) -> list[SessionSummary]:
    outbox = Outbox.open(tmp / "state" / "outbox.sqlite3", max_bytes=1 << 24)
    try:
        bodies = [decode_record(r.payload) for r in outbox.pending(1000)]
    finally:
        outbox.close()
    return [b.body for b in bodies if b.kind is RecordKind.SESSION]  # type: ignore[misc]


async def test_acked_events_survive_kill_9_and_a_resend_after_the_restart_is_recorded_once(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    sock = tmp_path / "run" / "vr.sock"
    base = {"session_id": "s1"}
    async with agent_process(cfg) as first:
        app = await connect(sock)
        await acked(app, {"type": "session_start", "id": 1, **base, "protocol_id": "gx", "scene_id": "beach"})
        await acked(app, {"type": "pain_rating", "id": 2, **base, "nrs": 6, "phase": "before", "t_app": 10.5})
        first.send_signal(signal.SIGKILL)  # at once after the ack
        await app.close()

    async with agent_process(cfg) as second:
        app = await connect(sock)
        await acked(app, {"type": "pain_rating", "id": 2, **base, "nrs": 6, "phase": "before", "t_app": 10.5})
        await acked(app, {"type": "marker", "id": 3, **base, "label": "scene-change", "scene_id": "forest"})
        await acked(app, {"type": "pain_rating", "id": 4, **base, "nrs": 3, "phase": "after"})
        await acked(app, {"type": "session_end", "id": 5, **base})
        second.send_signal(signal.SIGKILL)  # within a millisecond of the end's ack: its summary may not be stored
        await app.close()

    async with agent_process(cfg) as third:
        await until(lambda: bool(session_summaries(tmp_path)), timeout_s=60, what="the session summary")
        third.send_signal(signal.SIGTERM)

    (s,) = session_summaries(tmp_path)
    assert (s.session_id, s.scene, s.completed, s.agent_restarts) == ("s1", "beach", True, 1)
    ratings = [(p.id, p.score, p.phase, p.t_app) for p in s.pain_ratings]
    assert ratings == [(2, 6.0, "before", 10.5), (4, 3.0, "after", None)]
    assert [(m.id, m.label, m.scene_id) for m in s.markers] == [(3, "scene-change", "forest")]
    assert (s.start_id, s.end_id, s.pain_before, s.pain_after) == (1, 5, 6.0, 3.0)
    store = JournalStore.open(tmp_path / "state" / JOURNAL_FILE)
    try:
        assert [(e.message.type, e.message.id) for e in store.events("s1")] == [
            ("session_start", 1), ("pain_rating", 2), ("marker", 3), ("pain_rating", 4), ("session_end", 5)
        ]
    finally:
        store.close()


async def test_at_speed_4_heartbeats_and_timeouts_keep_the_welcomes_wall_seconds(tmp_path: Path) -> None:
    heartbeat_s, hello_timeout_s, idle_timeout_s = 0.25, 1.0, 2.0
    cfg = write_config(tmp_path, f"heartbeat_s = {heartbeat_s}\nhello_timeout_s = {hello_timeout_s}\n"
                                 f"idle_timeout_s = {idle_timeout_s}")
    sock = tmp_path / "run" / "vr.sock"
    async with agent_process(cfg, "--speed", "4") as proc:
        app = await connect(sock)  # sends its hello, and then nothing: the idle timeout runs from here
        said_hello = time.monotonic()
        mute = await RawPeer.open(sock)  # says nothing at all: the hello timeout runs from here
        connected = time.monotonic()
        mute_error = asyncio.create_task(arrival(mute))

        beats, error = [], None
        while (frame := await app.recv(heartbeats=True, timeout_s=10)) is not None:
            if frame["type"] == "heartbeat":
                beats.append(time.monotonic())
            elif frame["type"] == "error":
                error, idle_for = frame, time.monotonic() - said_hello
        hello_error, arrived = await mute_error
        hello_wait = arrived - connected
        await app.close()
        await mute.close()
        # The link statistics are in the status file (edge-agent status --json), counted per error code.
        await until(lambda: link_stats(tmp_path).get("counters", {}).get("errors.timeout") == 2, timeout_s=30,
                    what="both timeouts in the link statistics")
        assert link_stats(tmp_path)["control_dropped"] == 0 and "adaptations_dropped" in link_stats(tmp_path)
        proc.send_signal(signal.SIGTERM)

    interval = statistics.median(b - a for a, b in zip(beats, beats[1:], strict=False))
    assert abs(interval - heartbeat_s) <= 0.1 * heartbeat_s, interval
    assert error is not None and (error["code"], error["fatal"]) == ("timeout", True)
    assert abs(idle_for - idle_timeout_s) <= 0.1 * idle_timeout_s, idle_for
    assert (hello_error["code"], hello_error["message"]) == ("timeout", f"no hello within {hello_timeout_s} s")
    assert abs(hello_wait - hello_timeout_s) <= 0.1 * hello_timeout_s, hello_wait


async def test_the_node_client_plays_a_whole_session_and_the_summary_keeps_every_rating_marker_and_id(
    tmp_path: Path,
) -> None:
    node = shutil.which("node")
    assert node, "node is required for this test (see scripts/test)"
    assert (NODE_CLIENT / "node_modules" / "@msgpack" / "msgpack").is_dir(), "run: npm ci --prefix clients/node"
    cfg = write_config(tmp_path)
    sock = tmp_path / "run" / "vr.sock"
    async with agent_process(cfg) as agent:
        (await connect(sock)).writer.close()  # the agent listens
        demo = await asyncio.create_subprocess_exec(
            node, str(NODE_CLIENT / "session-demo.mjs"), "--socket", str(sock), "--adaptations", "0",
            "--session", "node-s1", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await demo.communicate()
        assert demo.returncode == 0, err.decode()
        lines = [json.loads(line) for line in out.decode().splitlines()]
        assert [(x["id"], x["ref"]) for x in lines if x["event"] == "ack"] == [
            (1, "session_start"), (2, "pain_rating"), (3, "marker"), (4, "pain_rating"), (5, "session_end")
        ]
        await until(lambda: bool(session_summaries(tmp_path)), timeout_s=60, what="the session summary")
        agent.send_signal(signal.SIGTERM)

    (s,) = session_summaries(tmp_path)
    assert (s.session_id, s.scene, s.completed, s.start_id, s.end_id) == ("node-s1", "beach", True, 1, 5)
    assert [(p.id, p.score, p.phase) for p in s.pain_ratings] == [(2, 6.0, "before"), (4, 3.0, "after")]
    assert all(p.t_app is not None for p in s.pain_ratings) and s.t_app_start is not None
    assert [(m.id, m.label, m.scene_id, m.value) for m in s.markers] == [(3, "scene-change", "forest", 2.5)]
