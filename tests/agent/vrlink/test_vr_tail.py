"""``edge-agent vr-tail`` as a real process against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from agent.commands.cli.vr_tail import _format
from agent.outputs.vrlink.messages import AdaptationMessage
from agent.outputs.vrlink.server import VrLinkServer

from .conftest import adaptation, running_server


async def start_tail(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "agent.commands.cli.vr_tail",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def next_line(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    async with asyncio.timeout(10):
        line = await proc.stdout.readline()
    assert line, "vr-tail exited early"
    return json.loads(line)  # type: ignore[no-any-return]


async def test_vr_tail_shows_adaptations_status_and_ttl_expiry(server: VrLinkServer) -> None:
    proc = await start_tail("--socket", str(server.socket_path), "--json", "--count", "2")
    try:
        hello = await next_line(proc)
        assert hello["type"] == "note" and hello["text"].startswith("connected to vr-edge-agent/")
        server.publish_status({"sensors": [], "quality": "none"})
        assert (await next_line(proc))["type"] == "status"
        server.publish_adaptation(adaptation(1, ttl_s=0.3))
        assert (await next_line(proc))["seq"] == 1
        assert await next_line(proc) == {"type": "note", "text": "neutral: adaptation #1 expired after 0.3 s"}
        server.publish_adaptation(adaptation(2))
        assert (await next_line(proc))["seq"] == 2
        async with asyncio.timeout(10):
            await proc.wait()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_vr_tail_explains_refusals_and_missing_sockets(sock_dir: Path) -> None:
    async with running_server(sock_dir, allow_self=False, allow_users=(os.geteuid() + 4242,)) as server:
        proc = await start_tail("--socket", str(server.socket_path))
        async with asyncio.timeout(10):
            _, err = await proc.communicate()
        assert proc.returncode == 1
        assert "refused the connection: forbidden: peer pid=" in err.decode()
    proc = await start_tail("--socket", str(sock_dir / "nowhere.sock"))
    async with asyncio.timeout(10):
        _, err = await proc.communicate()
    assert proc.returncode == 1 and f"no agent is listening at {sock_dir / 'nowhere.sock'}" in err.decode()


async def test_vr_tail_over_tcp_with_a_token_file(sock_dir: Path) -> None:
    token = "a-token-of-some-length"
    (sock_dir / "token").write_text(token + "\n")
    async with running_server(sock_dir, tcp={"port": 0, "token_file": sock_dir / "token"}) as server:
        assert server.tcp_address is not None
        host, port = server.tcp_address
        proc = await start_tail(
            "--tcp", f"{host}:{port}", "--token-file", str(sock_dir / "token"), "--json", "--count", "1"
        )
        try:
            assert (await next_line(proc))["type"] == "note"
            server.publish_adaptation(adaptation(1))
            assert (await next_line(proc))["seq"] == 1
            async with asyncio.timeout(10):
                await proc.wait()
            assert proc.returncode == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def test_vr_tail_rounds_what_it_shows() -> None:
    """Issue 18 finding 9: `ttl 4.77768s` was shown as sent; a person reads one decimal."""
    msg = AdaptationMessage.model_validate({
        "seq": 7, "t": 1.0, "level": "calm", "distress": 0.4, "confidence": 0.9, "reasons": [], "ttl_s": 4.77768,
        "suggestions": {"intensity": 0.5, "pace": "same", "breathing_guide": False}})
    text = _format(msg)
    assert "ttl 4.8s" in text and "4.77768" not in text and "distress 0.40 of 1" in text
