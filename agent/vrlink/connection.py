"""One VR client connection: handshake, the reading loop, the writing loop, and the error policy.

Error policy (docs/vr-protocol.md, "Errors"): every bad frame or message
gets an ``error`` frame. Before the hello is accepted every error is fatal;
afterwards a bad frame, a bad or unknown message is ignored until the
client has made ``max_client_errors`` of them. An oversized length, a
missing hello, a bad token and silence longer than the idle timeout close
the connection. Nothing a client sends can affect another client: each
connection has its own decoder, error budget and mailbox.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import structlog

from agent import __version__
from agent.queues import BoundedQueue
from agent.vrlink.fanout import Mailbox, Outgoing
from agent.vrlink.frames import FrameDecoder, FrameError, encode_frame
from agent.vrlink.hub import AppEvent, Hub
from agent.vrlink.messages import (
    APP_EVENTS,
    APP_MESSAGES,
    CAPABILITIES,
    SUPPORTED_VERSIONS,
    AppEventMessage,
    Hello,
    message_id,
    parse,
)

READ_SIZE = 65536
LINGER_S = 1.0  # real seconds a closing link may spend flushing its last frames and lingering
LINGER_MAX_BYTES = 1 << 20  # input read and discarded while lingering


class ClientLink:
    def __init__(
        self,
        hub: Hub,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        peer: str,
        token: str | None = None,  # required in the hello on TCP
    ) -> None:
        self.hub = hub
        self.options = hub.options
        self.reader = reader
        self.writer = writer
        self.peer = peer
        self.token = token
        self.client_id = hub.new_client_id()
        self.mailbox = Mailbox(f"vrlink.{self.client_id}", self.options.control_queue)
        self.log = structlog.get_logger("edge_agent.vrlink").bind(client_id=self.client_id, peer=peer)
        self.hello: Hello | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.errors = 0
        self._closing = False
        self._failed = False  # closed for a fatal error: linger so the client can read it

    @property
    def wants_adaptation(self) -> bool:
        return "adaptation" in self.capabilities

    @property
    def wants_status(self) -> bool:
        return "status" in self.capabilities

    def offer(self, lane: BoundedQueue[Outgoing], item: Outgoing) -> None:
        """Fan-out: write at once if the writer is idle and the socket keeps up, else queue for the writer.

        The direct write saves waking one task per client per message; it
        keeps order because nothing is queued, and it cannot stall because
        the transport has nothing buffered.
        """
        transport = self.writer.transport
        if self.mailbox.idle and transport.get_write_buffer_size() == 0 and not transport.is_closing():
            try:
                self.writer.write(item.frame)
            except ConnectionError:
                return  # the reader sees the connection end
            self.hub.record_sent(item)
        else:
            self.mailbox.put(lane, item)

    async def run(self) -> None:
        """Serve the connection until the client leaves, breaks the protocol, or the server stops."""
        writing = asyncio.create_task(self._write_loop(), name=f"vrlink-{self.client_id}-write")
        try:
            await self._read_loop()
        except ConnectionError:
            pass
        finally:
            self.hub.detach(self)
            self.mailbox.close()
            try:
                async with asyncio.timeout(LINGER_S):
                    await asyncio.shield(writing)
                    if self._failed:
                        await self._linger()
            except (TimeoutError, ConnectionError):
                pass
            finally:
                writing.cancel()
                self.writer.transport.abort()
                self.log.info("vrlink.client_closed", errors=self.errors)

    async def _linger(self) -> None:
        """After a fatal error: half-close, then let the client read the error before the socket goes.

        Closing at once would make the client's pending write (often its
        hello) fail with EPIPE or a TCP reset, and it would never see why.
        """
        if self.writer.can_write_eof():
            self.writer.write_eof()
        discarded = 0
        while discarded < LINGER_MAX_BYTES and (data := await self.reader.read(READ_SIZE)):
            discarded += len(data)

    def refuse(self, code: str, message: str) -> None:
        """Turn a connection away before reading anything (not allowed, too many clients)."""
        self.hub.counters[f"refused.{code}"] += 1
        self.log.warning("vrlink.refused", code=code, reason=message)
        self._fail(FrameError(code, message, fatal=True))

    def close(self) -> None:
        """Server shutdown: stop reading; pending frames are flushed."""
        self._closing = True
        transport = self.writer.transport
        if isinstance(transport, asyncio.ReadTransport):
            transport.pause_reading()
        self.reader.feed_eof()

    # -- reading ------------------------------------------------------------------

    async def _read_loop(self) -> None:
        decoder = FrameDecoder(self.options.max_frame_bytes)
        clock = self.hub.clock
        hello_deadline = clock.now() + self.options.hello_timeout_s
        while not self._closing:
            limit = self.options.idle_timeout_s if self.hello else hello_deadline - clock.now()
            try:
                async with clock.timeout(limit):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                if self.hello:
                    detail = f"no frame for {self.options.idle_timeout_s} s"
                else:
                    detail = f"no hello within {self.options.hello_timeout_s} s"
                self._fail(FrameError("timeout", detail, fatal=True))
                return
            if not data:
                return
            self.hub.counters["bytes_in"] += len(data)
            for item in decoder.feed(data):
                self._handle(item)
                if self._closing:
                    return

    def _handle(self, item: Any) -> None:
        if isinstance(item, FrameError):
            self._fail(item)
            return
        self.hub.counters["frames_in"] += 1
        try:
            msg = parse(item, APP_MESSAGES)
        except FrameError as exc:
            self._fail(exc, message_id(item))
            return
        if self.hello is None:
            if isinstance(msg, Hello):
                self._on_hello(msg)
            else:
                self._fail(FrameError("hello_required", "the first message must be a hello", fatal=True, ref=msg.type))
            return
        if isinstance(msg, APP_EVENTS):
            self._on_event(msg)
        elif isinstance(msg, Hello):
            self._fail(FrameError("unexpected_message", "hello was already accepted", ref="hello"))
        # a heartbeat needs nothing: any frame resets the idle timer

    def _on_hello(self, hello: Hello) -> None:
        if self.token is not None and not hmac.compare_digest((hello.token or "").encode(), self.token.encode()):
            self._fail(FrameError("unauthorized", "missing or wrong token", fatal=True, ref="hello"))
            return
        common = set(hello.versions) & set(SUPPORTED_VERSIONS)
        if not common:
            supported = ", ".join(map(str, SUPPORTED_VERSIONS))
            self._fail(
                FrameError("unsupported_version", f"this agent speaks version {supported}", fatal=True, ref="hello")
            )
            return
        self.hello = hello
        self.capabilities = frozenset(hello.capabilities) & frozenset(CAPABILITIES)
        welcome = {
            "type": "welcome",
            "version": max(common),
            "agent": f"vr-edge-agent/{__version__}",
            "instance": self.hub.instance,
            "client_id": self.client_id,
            "capabilities": sorted(self.capabilities),
            "max_frame": self.options.max_frame_bytes,
            "heartbeat_s": self.options.heartbeat_s,
        }
        self._send_control("welcome", welcome)
        self.hub.attach(self)
        self.hub.counters["handshakes"] += 1
        self.log.info(
            "vrlink.client_ready", client=hello.client, version=max(common), capabilities=sorted(self.capabilities)
        )

    def _on_event(self, msg: AppEventMessage) -> None:
        if "events" not in self.capabilities:
            self._fail(
                FrameError("not_negotiated", "ask for the 'events' capability in the hello", ref=msg.type), msg.id
            )
            return
        event = AppEvent(self.hub.clock.now(), self.client_id, self.peer, msg)  # type: ignore[arg-type]
        if not self.hub.record_event(event):
            # The agent is behind, not the client: tell it to retry, without spending its error budget.
            self._send_error(
                FrameError("busy", "the agent is not keeping up; send it again later", ref=msg.type), msg.id
            )
        elif msg.id is not None:
            self._send_control("ack", {"type": "ack", "id": msg.id, "ref": msg.type})

    # -- errors and writing ---------------------------------------------------------------

    def _fail(self, err: FrameError, msg_id: int | str | None = None) -> None:
        """Count a client error, tell the client, and close if it is fatal or the budget is spent."""
        self.errors += 1
        fatal = err.fatal or self.hello is None
        if not fatal and self.errors > self.options.max_client_errors:
            err = FrameError("too_many_errors", f"more than {self.options.max_client_errors} bad frames", fatal=True)
            fatal = True
        self._send_error(err, msg_id, fatal=fatal)
        if fatal:
            self._closing = True
            self._failed = True

    def _send_error(self, err: FrameError, msg_id: int | str | None, *, fatal: bool = False) -> None:
        self.hub.counters[f"errors.{err.code}"] += 1
        self.log.debug("vrlink.client_error", code=err.code, detail=err.detail, fatal=fatal)
        body = {"type": "error", "code": err.code, "message": err.detail, "fatal": fatal, "ref": err.ref, "id": msg_id}
        self._send_control("error", body)

    def _send_control(self, kind: str, body: dict[str, Any]) -> None:
        if not self.mailbox.put(self.mailbox.control, Outgoing(kind, encode_frame(body))):
            self.hub.counters["control_dropped"] += 1

    async def _write_loop(self) -> None:
        try:
            while batch := await self.mailbox.take():
                for item in batch:
                    self.writer.write(item.frame)
                    self.hub.record_sent(item)
                await self.writer.drain()
        except ConnectionError:
            self.writer.transport.abort()  # connection_lost feeds EOF to the reader, and the link ends
