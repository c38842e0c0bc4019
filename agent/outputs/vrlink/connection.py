"""One VR client connection: handshake, the reading loop, the writing loop, and the error policy.

Error policy (docs/vr-protocol.md, "Errors"): every bad frame or message
gets an ``error`` frame. Before the hello is accepted every error is fatal;
afterwards a bad frame or message is ignored until the client has made
``max_client_errors`` of them. An unknown message type is not an error: it
is ignored and counted, with one ``unknown_type`` notice per type. An
oversized length, a missing hello, a bad token and silence longer than the
idle timeout close the connection. Nothing a client sends can affect another
client: each connection has its own decoder, error budget and mailbox.

Every event gets exactly one answer, in the order the frames came, so
answers are never dropped: the reader stops reading (and the socket pushes
back on the app) while the answers owed and queued would fill the control
lane, and a client that leaves gets the answers it is owed before the link closes.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import deque
from typing import Any

import structlog

from agent import __version__
from agent.base.queues import BoundedQueue
from agent.outputs.vrlink.fanout import Mailbox, Outgoing
from agent.outputs.vrlink.frames import FrameDecoder, FrameError, encode_frame
from agent.outputs.vrlink.hub import Hub
from agent.outputs.vrlink.journal import Outcome
from agent.outputs.vrlink.messages import (
    APP_EVENTS,
    APP_MESSAGES,
    CAPABILITIES,
    SUPPORTED_VERSIONS,
    AppEventMessage,
    Hello,
    message_id,
    parse,
)
from agent.outputs.vrlink.recording import AppMessage

READ_SIZE = 65536
LINGER_S = 1.0  # real seconds a closing link may spend flushing its last frames and lingering
LINGER_MAX_BYTES = 1 << 20  # input read and discarded while lingering
CONTROL_RESERVE = 8  # control-lane room beyond the answers, for notices and the last fatal error
MAX_NOTICES = 16  # unknown types noticed per connection; later ones are only counted
ANSWER_WAIT_S = 5.0  # real seconds a closing link waits for the journal to answer its last events


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
        self.mailbox = Mailbox(f"vrlink.{self.client_id}", self.options.control_queue + CONTROL_RESERVE)
        self.log = structlog.get_logger("edge_agent.vrlink").bind(client_id=self.client_id, peer=peer)
        self.hello: Hello | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.errors = 0
        self.owed = 0  # events accepted for commit and not answered yet
        # Answers in frame order: an event's slot is filled when the journal has decided.
        self._answers: deque[list[Outgoing | None]] = deque()
        self._unfilled: deque[list[Outgoing | None]] = deque()
        self._settled = asyncio.Event()
        self._noticed: set[str] = set()  # unknown types already noticed
        self._closing = False
        self._failed = False  # closed for a fatal error: linger so the client can read it

    @property
    def wants_adaptation(self) -> bool:
        return "adaptation" in self.capabilities

    @property
    def wants_status(self) -> bool:
        return "status" in self.capabilities

    @property
    def connected(self) -> bool:
        return not self._closing and not self.mailbox.closed

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
            await self._answers_settled()
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

    async def _answers_settled(self) -> None:
        """Wait (bounded) for the answers to events still being committed, so the client gets them."""
        if self.owed == 0:
            return
        try:
            async with asyncio.timeout(ANSWER_WAIT_S):
                while self.owed > 0:
                    self._settled.clear()
                    await self._settled.wait()
        except TimeoutError:
            self.log.warning("vrlink.answers_abandoned", owed=self.owed)

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
        clock = self.hub.wall
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
                if not await self._room_for_an_answer():
                    return
                self._handle(item)
                if self._closing:
                    return

    async def _room_for_an_answer(self) -> bool:
        """Wait until an answer to the next frame fits in the control lane (the app is reading them).

        False if the app has read nothing for ``idle_timeout_s``: it is stuck, and the link is closed.
        """
        capacity = self.options.control_queue
        if len(self._answers) + len(self.mailbox.control) < capacity:
            return not self._closing
        try:
            async with self.hub.wall.timeout(self.options.idle_timeout_s):
                while len(self._answers) + len(self.mailbox.control) >= capacity:
                    self.hub.count("reading_paused")
                    await self.mailbox.drained()
        except TimeoutError:
            self.log.warning("vrlink.client_stuck", owed=self.owed, idle_timeout_s=self.options.idle_timeout_s)
            self._closing = True
            return False
        return not self._closing

    def _handle(self, item: Any) -> None:
        if isinstance(item, FrameError):
            self._fail(item)
            return
        self.hub.counters["frames_in"] += 1
        try:
            msg = parse(item, APP_MESSAGES)
        except FrameError as exc:
            if exc.code == "unknown_type" and self.hello is not None:
                self._ignore_type(exc, message_id(item))
            else:
                self._fail(exc, message_id(item))
            return
        unknown = item.keys() - type(msg).model_fields.keys() - {"type"}
        if unknown:  # a newer app's optional fields: ignored, as the protocol says
            self.hub.count("ignored.fields", len(unknown))
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

    def _ignore_type(self, err: FrameError, msg_id: int | str | None) -> None:
        """A type this agent does not know (a newer app's): ignored and counted; one notice per type."""
        self.hub.count("ignored.types")
        ref = err.ref or ""
        if ref in self._noticed or len(self._noticed) >= MAX_NOTICES:
            return
        self._noticed.add(ref)
        self._send_error(FrameError("unknown_type", f"{err.detail}; ignored (noticed once per type)", ref=ref), msg_id)

    def _on_event(self, msg: AppEventMessage) -> None:
        if "events" not in self.capabilities:
            self._fail(
                FrameError("not_negotiated", "ask for the 'events' capability in the hello", ref=msg.type), msg.id
            )
            return
        assert self.hub.recorder is not None
        self.hub.counters[f"received.{msg.type}"] += 1
        retry_after_s = self.hub.recorder.offer(self, msg)  # type: ignore[arg-type]
        if retry_after_s is None:
            self.owed += 1
            slot: list[Outgoing | None] = [None]
            self._answers.append(slot)
            self._unfilled.append(slot)
            return
        # The agent is behind, not the client: tell it when to retry, without spending its error budget.
        err = FrameError("busy", "the agent is not keeping up; send it again later with the same id", ref=msg.type)
        self._send_error(err, msg.id, retry_after_s=retry_after_s)

    def answer(self, msg: AppMessage, outcome: Outcome) -> None:
        """The journal's verdict on one of this client's events (called by the recorder, in order)."""
        self.owed -= 1
        slot = self._unfilled.popleft()
        if outcome.code == "duplicate":
            self.hub.counters["events_duplicate"] += 1
        if self.mailbox.closed:  # the app left; a resend after it reconnects is acked as a duplicate
            self.hub.counters["answers_to_departed_clients"] += 1
            self._answers.clear()
        elif outcome.acked and msg.id is None:
            slot.append(None)  # recorded, and nothing to say: filled with nothing
        elif outcome.acked:
            slot.append(Outgoing("ack", encode_frame({"type": "ack", "id": msg.id, "ref": msg.type})))
        else:
            err = FrameError(outcome.code, outcome.detail, ref=msg.type)
            slot.append(self._error_frame(err, msg.id, retry_after_s=outcome.retry_after_s))
        while self._answers and len(self._answers[0]) > 1:
            if (item := self._answers.popleft()[1]) is not None:
                self._put_control(item)
        self.mailbox.room_freed()
        if self.owed == 0:
            self._settled.set()

    def notice_superseded(self, session_id: str, by: str, by_client: str) -> None:
        """Another client started a session while this client's was open: tell it, do not just replace it."""
        detail = f"session {session_id!r} was superseded by session {by!r} started by client {by_client}"
        self._put_control(self._error_frame(FrameError("superseded", detail, ref="session_start"), None))

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

    def _send_error(
        self, err: FrameError, msg_id: int | str | None, *, fatal: bool = False, retry_after_s: float | None = None
    ) -> None:
        item = self._error_frame(err, msg_id, fatal=fatal, retry_after_s=retry_after_s)
        if self._answers:  # behind the answers still owed, so the client reads them in frame order
            self._answers.append([None, item])
        else:
            self._put_control(item)

    def _error_frame(
        self, err: FrameError, msg_id: int | str | None, *, fatal: bool = False, retry_after_s: float | None = None
    ) -> Outgoing:
        self.hub.counters[f"errors.{err.code}"] += 1
        self.log.debug("vrlink.client_error", code=err.code, detail=err.detail, fatal=fatal)
        body = {"type": "error", "code": err.code, "message": err.detail, "fatal": fatal, "ref": err.ref, "id": msg_id}
        if retry_after_s is not None:
            body["retry_after_s"] = retry_after_s
        return Outgoing("error", encode_frame(body))

    def _send_control(self, kind: str, body: dict[str, Any]) -> None:
        self._put_control(Outgoing(kind, encode_frame(body)))

    def _put_control(self, item: Outgoing) -> None:
        if not self.mailbox.put(self.mailbox.control, item):
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
