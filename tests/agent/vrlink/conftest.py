"""Helpers for VR link tests: a real server on a temporary socket, and a raw peer that speaks bytes."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.base.adaptation import Adaptation, Level, Pace, Suggestions
from agent.base.clock import Clock
from agent.outputs.vrlink.frames import FrameDecoder, FrameError, encode_frame
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.server import VrLinkServer

RECV_TIMEOUT_S = 5.0


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # Not tmp_path: a Unix socket path must fit in 107 bytes, and pytest's can be longer.
    path = Path(tempfile.mkdtemp(prefix="vr-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@contextlib.asynccontextmanager
async def running_server(
    sock_dir: Path, clock: Clock | None = None, *, wall: Clock | None = None, **options: Any
) -> AsyncIterator[VrLinkServer]:
    """``wall`` (protocol time) may be injected to run timeouts fast; ``clock`` only stamps ``t``."""
    opts = VrLinkOptions(socket_path=sock_dir / "vr.sock", **options)
    async with VrLinkServer(opts, clock or Clock(), wall=wall) as server:
        yield server


@pytest.fixture
async def server(sock_dir: Path) -> AsyncIterator[VrLinkServer]:
    async with running_server(sock_dir) as s:
        yield s


def adaptation(
    seq: int, level: Level = Level.ELEVATED, *, ttl_s: float = 5.0, reasons: tuple[str, ...] = ()
) -> Adaptation:
    return Adaptation(
        seq=seq,
        t=100.0 + seq * 0.25,
        level=level,
        distress=0.625,
        confidence=0.75,
        suggestions=Suggestions(intensity=0.5, pace=Pace.SLOWER, breathing_guide=True),
        reasons=reasons or ("heart rate +18% over baseline",),
        ttl_s=ttl_s,
    )


class RawPeer:
    """A client that sends whatever bytes a test wants and reads the agent's frames as plain maps."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.decoder = FrameDecoder(1 << 24)
        self.pending: list[Any] = []

    @classmethod
    async def open(cls, path: Path) -> RawPeer:
        return cls(*await asyncio.open_unix_connection(str(path)))

    @classmethod
    async def open_tcp(cls, host: str, port: int) -> RawPeer:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(encode_frame(message, 1 << 24))

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def hello(
        self, capabilities: tuple[str, ...] = ("adaptation", "status", "events"), **extra: Any
    ) -> dict[str, Any]:
        await self.send(
            {"type": "hello", "versions": [1], "client": "raw-peer", "capabilities": list(capabilities), **extra}
        )
        welcome = await self.recv()
        assert welcome is not None and welcome["type"] == "welcome", welcome
        return welcome

    async def recv(self, *, heartbeats: bool = False, timeout_s: float = RECV_TIMEOUT_S) -> dict[str, Any] | None:
        """The next frame (heartbeats skipped unless asked for); None at end of stream."""
        async with asyncio.timeout(timeout_s):
            while True:
                while not self.pending:
                    data = await self.reader.read(65536)
                    if not data:
                        return None
                    self.pending.extend(self.decoder.feed(data))
                item = self.pending.pop(0)
                assert not isinstance(item, FrameError), item
                if heartbeats or item.get("type") != "heartbeat":
                    return item

    async def start_session(self, session_id: str = "s1", msg_id: int | str = "start") -> None:
        await self.send({"type": "session_start", "id": msg_id, "session_id": session_id, "protocol_id": "p",
                         "scene_id": "beach"})
        ack = await self.recv()
        assert ack == {"type": "ack", "id": msg_id, "ref": "session_start"}, ack

    async def recv_until_closed(self) -> list[dict[str, Any]]:
        frames = []
        while (frame := await self.recv()) is not None:
            frames.append(frame)
        return frames

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@pytest.fixture
async def peers() -> AsyncIterator[list[RawPeer]]:
    """Peers appended here are closed after the test."""
    opened: list[RawPeer] = []
    yield opened
    for peer in opened:
        await peer.close()
