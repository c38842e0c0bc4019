"""Reference asyncio client of the VR link, used by ``edge-agent vr-tail`` and the tests.

    async with await VrLinkClient.connect_unix(path, client="my-app/1.0") as link:
        await link.send(SessionStart(id=1, session_id="s1", protocol_id="p", scene_id="beach"))
        async for msg in link.messages():
            ...

It sends the hello, checks the welcome, keeps the link alive with
heartbeats, and turns each frame into a typed message. :class:`Signal`
applies the time-to-live rule every app must follow: an adaptation holds
for ``ttl_s`` after it arrived, then the app falls back to neutral.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Self

from agent import __version__
from agent.base.clock import Clock
from agent.errors import AgentError
from agent.outputs.vrlink.frames import DEFAULT_MAX_FRAME, FrameDecoder, FrameError, encode_frame
from agent.outputs.vrlink.messages import (
    AGENT_MESSAGES,
    CAPABILITIES,
    SUPPORTED_VERSIONS,
    AdaptationMessage,
    ErrorMessage,
    Heartbeat,
    Hello,
    Message,
    Welcome,
    parse,
)

DEFAULT_NAME = f"vr-edge-agent-python/{__version__}"


class HandshakeRefused(AgentError, ConnectionError):
    """The agent answered the hello with an error (forbidden, unauthorized, unsupported_version...)."""

    def __init__(self, error: ErrorMessage) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class VrLinkClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clock: Clock) -> None:
        self.reader = reader
        self.writer = writer
        self.clock = clock
        self.welcome: Welcome | None = None
        self._decoder = FrameDecoder(DEFAULT_MAX_FRAME)
        self._pending: deque[object] = deque()
        self._heartbeat: asyncio.Task[None] | None = None

    @classmethod
    async def connect_unix(
        cls,
        path: str | os.PathLike[str],
        *,
        client: str = DEFAULT_NAME,
        capabilities: Iterable[str] = CAPABILITIES,
        clock: Clock | None = None,
        heartbeat: bool = True,
        timeout_s: float = 5.0,
    ) -> Self:
        """Connect, send the hello and wait for the welcome; HandshakeRefused if the agent says no."""
        reader, writer = await asyncio.open_unix_connection(os.fspath(path))
        link = cls(reader, writer, clock or Clock())
        return await link._start(client, capabilities, None, heartbeat, timeout_s)

    @classmethod
    async def connect_tcp(
        cls,
        host: str,
        port: int,
        token: str,
        *,
        client: str = DEFAULT_NAME,
        capabilities: Iterable[str] = CAPABILITIES,
        clock: Clock | None = None,
        heartbeat: bool = True,
        timeout_s: float = 5.0,
    ) -> Self:
        reader, writer = await asyncio.open_connection(host, port)
        link = cls(reader, writer, clock or Clock())
        return await link._start(client, capabilities, token, heartbeat, timeout_s)

    async def _start(
        self, client: str, capabilities: Iterable[str], token: str | None, heartbeat: bool, timeout_s: float
    ) -> Self:
        try:
            hello = Hello(
                versions=list(SUPPORTED_VERSIONS), client=client, capabilities=list(capabilities), token=token
            )
            with contextlib.suppress(ConnectionError):  # a refused peer may still read why
                await self.send(hello)
            async with asyncio.timeout(timeout_s):
                first = await self.recv()
            if first is None:
                raise ConnectionResetError("the agent closed the link before the welcome")
            if isinstance(first, ErrorMessage):
                raise HandshakeRefused(first)
            if not isinstance(first, Welcome):
                raise FrameError("unexpected_message", f"expected welcome, got {type(first).__name__}")
        except BaseException:
            await self.close()
            raise
        self.welcome = first
        self._decoder.max_frame_bytes = first.max_frame
        if heartbeat:
            self._heartbeat = asyncio.create_task(self._heartbeats(first.heartbeat_s), name="vrlink-client-heartbeat")
        return self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def send(self, msg: Message) -> None:
        await self.send_raw(encode_frame(msg.to_wire()))

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self) -> Message | None:
        """The next message from the agent; None when it closed the link. Bad frames raise FrameError."""
        while not self._pending:
            data = await self.reader.read(65536)
            if not data:
                return None
            self._pending.extend(self._decoder.feed(data))
        item = self._pending.popleft()
        if isinstance(item, FrameError):
            raise item
        return parse(item, AGENT_MESSAGES)

    async def messages(self) -> AsyncIterator[Message]:
        while (msg := await self.recv()) is not None:
            yield msg

    async def _heartbeats(self, interval_s: float) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                await self.send(Heartbeat(t=self.clock.now()))
                await self.clock.sleep(interval_s)


class Signal:
    """The TTL rule: the latest adaptation holds until ``ttl_s`` after it arrived, then neutral (None)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.current: AdaptationMessage | None = None
        self.expires_at = float("-inf")

    def update(self, msg: AdaptationMessage) -> None:
        self.current = msg
        self.expires_at = self.clock.now() + msg.ttl_s

    def active(self) -> AdaptationMessage | None:
        return self.current if self.clock.now() < self.expires_at else None
