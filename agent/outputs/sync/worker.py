"""The sync worker: drains the outbox to the broker, visibly reconnecting with backoff.

::

    while running:
        connect (timeout)  ── fails ──▶ log the clear reason, back off with jitter, retry
        publish retained "online" presence (the Will says "offline")
        pump: publish records in send order (session summaries first), QoS 1,
              at most max_inflight unacknowledged; on each PUBACK the record is
              deleted from the outbox (acks are batched into one transaction)
        connection lost ──▶ back off, retry; unacknowledged records are still
                            in the outbox and are sent again (same key)

Delivery is at least once: a crash between the PUBACK and the delete sends
the record again with the same idempotency key, and the consumer drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from agent import __version__
from agent.base.clock import Clock
from agent.errors import SyncError
from agent.outputs.outbox.aio import AsyncOutbox
from agent.outputs.outbox.store import Record
from agent.outputs.sync.codec import CONTENT_TYPE, SCHEMA_VERSION, Presence, encode_presence
from agent.outputs.sync.mqtt import ConnectParams, MqttLink, PublishRefused, SyncAuthError, Will
from agent.outputs.sync.options import SyncOptions
from agent.outputs.sync.topics import Topics

log = structlog.get_logger("edge_agent.sync")


@dataclass
class SyncStatus:
    """What ``edge-agent status`` and the health record show about the cloud link."""

    state: str = "starting"  # connecting | online | backoff | stopped
    broker: str = ""
    last_error: str | None = None
    auth_failed: bool = False
    retry_in_s: float | None = None
    connects: int = 0
    session_present: bool = False
    published: int = 0
    delivered: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    last_delivery_at: float | None = None  # wall clock of the last PUBACKed record, for `edge-agent status`


def connect_params(options: SyncOptions, *, will: Will | None, receive_maximum: int = 64) -> ConnectParams:
    b = options.broker
    return ConnectParams(
        host=b.host,
        port=b.port,
        client_id=options.mqtt_client_id,
        keepalive_s=b.keepalive_s,
        connect_timeout_s=b.connect_timeout_s,
        session_expiry_s=b.session_expiry_s,
        receive_maximum=receive_maximum,
        username=b.username,
        password=b.password(),
        tls=b.tls.context() if b.tls is not None else None,
        will=will,
    )


class SyncWorker:
    """Runs until cancelled; on cancel it says "offline" and disconnects cleanly."""

    def __init__(
        self,
        options: SyncOptions,
        outbox: AsyncOutbox,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        on_delivered: Callable[[Collection[int]], None] | None = None,
    ) -> None:
        self.options = options
        self.topics = Topics(options.site, options.device, options.topic_prefix)
        self.status = SyncStatus(broker=f"{options.broker.host}:{options.broker.port}")
        self._outbox = outbox
        self._clock = clock
        self._backoff = options.broker.new_backoff(rng)
        self._on_delivered = on_delivered
        self._acked: set[int] = set()  # PUBACKed, delete not yet committed: never re-send these
        self._flusher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run(self) -> None:
        try:
            while True:
                link = await self._connect()
                if link is None:
                    continue
                try:
                    await self._pump(link)
                except SyncError as exc:
                    await self._back_off(exc)
                except asyncio.CancelledError:
                    await self._goodbye(link)
                    raise
                finally:
                    link.close()
        finally:
            self.status.state = "stopped"
            if self._flusher is not None:  # let committed PUBACKs reach the disk
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._flusher)

    # -- connection ----------------------------------------------------------

    async def _connect(self) -> MqttLink | None:
        self.status.state = "connecting"
        will = Will(self.topics.presence, self._presence("offline"), self.options.will_delay_s, CONTENT_TYPE)
        try:
            link = MqttLink(connect_params(self.options, will=will))
            await link.connect()
        except (SyncError, OSError) as exc:  # OSError: the password file vanished, say
            await self._back_off(exc if isinstance(exc, SyncError) else SyncError(f"cannot prepare connection: {exc}"))
            return None
        self.status.state = "online"
        self.status.connects += 1
        self.status.session_present = link.session_present
        self.status.last_error, self.status.auth_failed, self.status.retry_in_s = None, False, None
        log.info("sync.connected", broker=link.where, session_present=link.session_present)
        link.publish(self.topics.presence, self._presence("online"), retain=True)
        return link

    async def _back_off(self, exc: SyncError) -> None:
        delay = self._backoff.next_delay()
        auth = isinstance(exc, SyncAuthError)
        self.status.state, self.status.last_error, self.status.auth_failed = "backoff", str(exc), auth
        self.status.retry_in_s = delay
        kind = type(exc).__name__
        self.status.failures[kind] = self.status.failures.get(kind, 0) + 1
        log.warning("sync.unavailable", error=str(exc), auth=auth, retry_in_s=round(delay, 2))
        await self._clock.sleep(delay)

    async def _goodbye(self, link: MqttLink) -> None:
        """Publish "offline" ourselves: a clean DISCONNECT makes the broker drop the Will."""
        with contextlib.suppress(SyncError, TimeoutError):
            async with asyncio.timeout(2.0):
                await link.publish(self.topics.presence, self._presence("offline"), retain=True)
        await link.disconnect()

    def _presence(self, state: str) -> bytes:
        return encode_presence(Presence(state, time.time(), self.options.site, self.options.device, __version__))  # type: ignore[arg-type]

    # -- draining ------------------------------------------------------------

    async def _pump(self, link: MqttLink) -> None:
        assert link.lost is not None
        limit = max(1, min(self.options.max_inflight, link.server_receive_maximum))
        inflight: dict[int, asyncio.Future[None]] = {}
        try:
            while True:
                if link.lost.done():
                    raise link.lost.result()
                self._outbox.changed.clear()
                self._wake.clear()
                free = limit - len(inflight)
                if free > 0:
                    for record in await self._outbox.pending(free, exclude=inflight.keys() | self._acked):
                        self._send(link, record, inflight)
                await self._wait_for_work(link)
        finally:
            for fut in inflight.values():
                fut.cancel()

    def _send(self, link: MqttLink, record: Record, inflight: dict[int, asyncio.Future[None]]) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = CONTENT_TYPE
        props.MessageExpiryInterval = self._expiry_s(record)
        props.UserProperty = [("schema", f"{record.kind}/{SCHEMA_VERSION}"), ("key", record.key)]
        fut = link.publish(self.topics.record(record.kind), record.payload, qos=1, properties=props)
        inflight[record.seq] = fut
        self.status.published += 1
        fut.add_done_callback(lambda f, seq=record.seq: self._on_puback(link, inflight, seq, f))

    def _expiry_s(self, record: Record) -> int:
        if record.expires is None:
            return self.options.message_expiry_s
        return max(1, int(record.expires - time.time()))

    def _on_puback(self, link: MqttLink, inflight: dict[int, asyncio.Future[None]], seq: int, fut: asyncio.Future[None]) -> None:
        inflight.pop(seq, None)
        self._wake.set()
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            if isinstance(exc, PublishRefused):
                link.abort(exc)  # misconfigured ACL or quota: keep the record, back off, retry later
            return
        self._acked.add(seq)
        self._backoff.reset()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_acked(), name="outbox-delete")

    async def _flush_acked(self) -> None:
        while self._acked:
            batch = frozenset(self._acked)
            await self._outbox.delete(batch)
            self._acked -= batch
            self.status.delivered += len(batch)
            self.status.last_delivery_at = time.time()
            if self._on_delivered is not None:
                self._on_delivered(batch)

    async def _wait_for_work(self, link: MqttLink) -> None:
        assert link.lost is not None
        waits = [asyncio.ensure_future(self._outbox.changed.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait([*waits, link.lost], timeout=self.options.poll_s / self._clock.speed,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
