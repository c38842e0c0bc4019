"""The backend consumer: shared subscription in, validated and deduplicated rows out.

It subscribes to ``$share/{group}/v1/+/+/summary/+`` and
``$share/{group}/v1/+/+/health``, so any number of consumers with the same
group split the stream between them (mosquitto ≥ 2, EMQX, HiveMQ and
VerneMQ all implement MQTT 5 shared subscriptions), and to the retained
presence topics with a plain subscription (a broker never sends retained
messages to a shared subscription; presence is an idempotent upsert, so
every consumer applying it is harmless).

Each batch of messages goes to a store (:mod:`agent.backend`: SQLite by
default, PostgreSQL for several consumers), which validates every field,
stores each key once (``ON CONFLICT (key) DO NOTHING``: a re-delivery is a
duplicate) and quarantines a bad message in ``rejected`` with its reason.
Every message is acknowledged (manual PUBACK) only after its batch is
committed, so a consumer crash loses nothing; a bad message is acknowledged
too, since re-delivery cannot fix it. Losing the database disconnects from
the broker unacknowledged, backs off, and tries again.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pydantic
import structlog

from agent.backend.sqlite_store import SqliteStore
from agent.backend.store import Outcome, Store
from agent.backend.stores import is_postgres
from agent.base.clock import Clock
from agent.base.queues import QueueClosed
from agent.errors import SyncError
from agent.outputs.sync.mqtt import ConnectParams, MqttLink, SyncAuthError
from agent.outputs.sync.options import BrokerOptions, TopicId
from agent.outputs.sync.topics import backend_filters, presence_filter

log = structlog.get_logger("edge_agent.ingest")

RECEIVE_QUEUE_FACTOR = 8  # x receive_maximum; payloads are at most 256 KiB (codec), summaries ~1 KiB
IngestStore = SqliteStore  # the embedded default, under the name it has always had
__all__ = ["Ingest", "IngestOptions", "IngestStats", "IngestStore", "Outcome"]


def _database(value: object) -> object:
    return value if isinstance(value, str) and is_postgres(value) else Path(str(value))


class IngestOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    broker: BrokerOptions
    # A SQLite file, or a postgresql:// URL (its password belongs in a passfile, never in the URL: it would show in ps).
    database: str | Path = pydantic.Field(union_mode="left_to_right")  # the validator leaves only URLs as str
    # Consumers with the same group share the stream. None: a plain subscription, for a single consumer on
    # a broker that does not keep shared subscriptions across its own restart (mosquitto 2.0.11 does not).
    group: TopicId | None = "ingest"
    client_id: str = "edge-ingest-1"  # unique per consumer instance; the group is what they share
    topic_prefix: TopicId = "v1"
    receive_maximum: int = pydantic.Field(default=256, ge=1, le=65535)
    # Messages held in memory before a batch is stored; default 8 x receive_maximum, since a broker may overrun it.
    receive_queue: int | None = pydantic.Field(default=None, ge=1)

    @pydantic.field_validator("database", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        return _database(v)


class QueueOverrun(SyncError):
    """The broker sent more unacknowledged messages than the receive queue holds; the excess awaits a reconnect."""


@dataclass
class IngestStats:
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    presence: int = 0
    connects: int = 0
    overruns: int = 0  # reconnects because the broker sent more than the receive queue holds
    last_error: str | None = None


class Ingest:
    """One consumer instance: reconnects with backoff, acknowledges after commit."""

    def __init__(self, options: IngestOptions, store: Store, clock: Clock, *, rng: random.Random | None = None) -> None:
        self.options = options
        self.store = store
        self.stats = IngestStats()
        self.subscribed = asyncio.Event()
        self._clock = clock
        self._backoff = options.broker.new_backoff(rng)

    def _params(self) -> ConnectParams:
        b = self.options.broker
        return ConnectParams(
            host=b.host, port=b.port, client_id=self.options.client_id, keepalive_s=b.keepalive_s,
            connect_timeout_s=b.connect_timeout_s, session_expiry_s=b.session_expiry_s,
            receive_maximum=self.options.receive_maximum, username=b.username, password=b.password(),
            tls=b.tls.context() if b.tls is not None else None,
        )

    async def run(self) -> None:
        while True:
            # mosquitto 2.0.11 sends several times Receive Maximum unacknowledged (1,224 for 256, measured): the
            # queue absorbs that; beyond it, messages are dropped unacknowledged and _consume reconnects.
            capacity = self.options.receive_queue or RECEIVE_QUEUE_FACTOR * self.options.receive_maximum
            link = MqttLink(self._params(), manual_ack=True, queue_capacity=capacity)
            try:
                await link.connect()
                share = f"$share/{self.options.group}/" if self.options.group else ""
                await link.subscribe([share + f for f in backend_filters(self.options.topic_prefix)])
                await link.subscribe([presence_filter(self.options.topic_prefix)])
                self.stats.connects += 1
                self.subscribed.set()
                log.info("ingest.connected", broker=link.where, session_present=link.session_present)
                await self._consume(link)
            except QueueOverrun as exc:  # not a failure: reconnect at once, no backoff
                self.subscribed.clear()
                self.stats.overruns += 1
                log.info("ingest.overrun", error=str(exc))
            except SyncError as exc:
                self.subscribed.clear()
                self.stats.last_error = str(exc)
                delay = self._backoff.next_delay()
                log.warning("ingest.unavailable", error=str(exc), auth=isinstance(exc, SyncAuthError), retry_in_s=round(delay, 2))
                await self._clock.sleep(delay)
            finally:
                await link.disconnect()

    async def _consume(self, link: MqttLink) -> None:
        assert link.lost is not None
        while True:
            try:
                first = await link.messages.get()
            except QueueClosed:
                raise link.lost.result() from None
            batch: list[mqtt.MQTTMessage] = [first]
            while (m := link.messages.get_nowait()) is not None:
                batch.append(m)
            outcomes = await self.store.store([(_topic(m), bytes(m.payload)) for m in batch])
            for m, outcome in zip(batch, outcomes, strict=True):
                link.ack(m)
                setattr(self.stats, outcome.value, getattr(self.stats, outcome.value) + 1)
            self._backoff.reset()
            if link.messages.dropped:
                # More arrived than even the roomy queue holds. The dropped ones are unacknowledged, so the broker
                # keeps them, but re-sends them only on a new connection: reconnect now that all received is stored.
                raise QueueOverrun(f"{link.messages.dropped} messages overflowed the receive queue; reconnecting so "
                                   "the broker re-sends them")


def _topic(message: mqtt.MQTTMessage) -> str:
    try:
        return message.topic
    except UnicodeDecodeError:  # a broker should refuse such a topic; if one does not, it is rejected, not fatal
        return message._topic.decode("utf-8", "replace")  # noqa: SLF001
