"""The reference backend consumer: shared subscription in, validated and deduplicated rows out.

It subscribes to ``$share/{group}/v1/+/+/summary/+`` and
``$share/{group}/v1/+/+/health``, so any number of consumers with the same
group split the stream between them (mosquitto ≥ 2, EMQX, HiveMQ and
VerneMQ all implement MQTT 5 shared subscriptions), and to the retained
presence topics with a plain subscription (a broker never sends retained
messages to a shared subscription; presence is an idempotent upsert, so
every consumer applying it is harmless).

Each message is decoded and validated (:mod:`agent.sync.codec`), then
stored in SQLite keyed by its idempotency key, ``INSERT OR IGNORE``: a
re-delivery is counted as a duplicate and stored once. A message is
acknowledged (manual PUBACK) only after its row is committed, so a consumer
crash loses nothing either. Malformed messages are counted, kept in
``rejected`` with the reason, and acknowledged (re-delivery cannot fix them).
"""

from __future__ import annotations

import asyncio
import enum
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import msgpack
import paho.mqtt.client as mqtt
import pydantic
import structlog

from agent.clock import Clock
from agent.errors import ProtocolError, SyncError
from agent.queues import QueueClosed
from agent.sync.codec import decode_presence, decode_record
from agent.sync.mqtt import ConnectParams, MqttLink, SyncAuthError
from agent.sync.options import BrokerOptions, TopicId
from agent.sync.topics import backend_filters, parse, presence_filter

log = structlog.get_logger("edge_agent.ingest")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    arrival  INTEGER PRIMARY KEY AUTOINCREMENT,
    key      TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    site     TEXT NOT NULL,
    device   TEXT NOT NULL,
    created  REAL NOT NULL,
    received REAL NOT NULL,
    body     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS presence (
    site TEXT NOT NULL, device TEXT NOT NULL, state TEXT NOT NULL, t REAL NOT NULL, received REAL NOT NULL,
    PRIMARY KEY (site, device)
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received REAL NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class IngestOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    broker: BrokerOptions
    database: Path
    # Consumers with the same group share the stream. None: a plain subscription, for a single consumer on
    # a broker that does not keep shared subscriptions across its own restart (mosquitto 2.0.11 does not).
    group: TopicId | None = "ingest"
    client_id: str = "edge-ingest-1"  # unique per consumer instance; the group is what they share
    topic_prefix: TopicId = "v1"
    receive_maximum: int = pydantic.Field(default=256, ge=1, le=65535)


class Outcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    PRESENCE = "presence"


@dataclass
class IngestStats:
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    presence: int = 0
    connects: int = 0
    last_error: str | None = None


class IngestStore:
    """The consumer's SQLite database. One writer; WAL so dashboards can read alongside."""

    def __init__(self, path: Path, prefix: str = "v1") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._prefix = prefix

    def close(self) -> None:
        self._db.close()

    def store_batch(self, messages: list[tuple[str, bytes]]) -> list[Outcome]:
        """Validate and store messages in one transaction; returns what happened to each."""
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            outcomes = [self._store(topic, payload, now) for topic, payload in messages]
            for outcome in set(outcomes):
                n = outcomes.count(outcome)
                self._db.execute(
                    "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                    (str(outcome), n, n),
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return outcomes

    def _store(self, topic: str, payload: bytes, now: float) -> Outcome:
        try:
            where = parse(topic, self._prefix)
            if where is None:
                raise ProtocolError(f"topic {topic!r} is not part of the {self._prefix} scheme")
            if where.kind is None:
                p = decode_presence(payload)
                if (p.site, p.device) != (where.site, where.device):
                    raise ProtocolError(f"presence for {p.site}/{p.device} arrived on {topic}")
                self._db.execute(
                    "INSERT INTO presence VALUES (?, ?, ?, ?, ?) ON CONFLICT(site, device) DO UPDATE SET"
                    " state = excluded.state, t = excluded.t, received = excluded.received",  # the broker keeps order;
                    # not by t: a Will carries the time it was registered, before the "online" that followed it
                    (p.site, p.device, p.state, p.t, now),
                )
                return Outcome.PRESENCE
            env = decode_record(payload)
            if (env.site, env.device, env.kind) != (where.site, where.device, where.kind):
                raise ProtocolError(f"{env.kind} from {env.site}/{env.device} arrived on {topic}")
        except ProtocolError as exc:
            self._db.execute("INSERT INTO rejected (received, topic, reason) VALUES (?, ?, ?)", (now, topic, str(exc)))
            log.warning("ingest.rejected", topic=topic, reason=str(exc))
            return Outcome.REJECTED
        body = msgpack.packb(env.body.model_dump(mode="json"), use_bin_type=True)
        cur = self._db.execute(
            "INSERT OR IGNORE INTO records (key, kind, site, device, created, received, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (env.key, str(env.kind), env.site, env.device, env.created, now, body),
        )
        return Outcome.STORED if cur.rowcount == 1 else Outcome.DUPLICATE

    # -- queries (tests, dashboards) -----------------------------------------

    def counters(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, value FROM counters").fetchall())

    def keys(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT key FROM records ORDER BY arrival")]

    def kinds_in_arrival_order(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT kind FROM records ORDER BY arrival")]

    def bodies(self, kind: str) -> list[dict[str, object]]:
        rows = self._db.execute("SELECT body FROM records WHERE kind = ? ORDER BY arrival", (kind,))
        return [msgpack.unpackb(r[0], raw=False) for r in rows]

    def presence(self, site: str, device: str) -> str | None:
        row = self._db.execute("SELECT state FROM presence WHERE site = ? AND device = ?", (site, device)).fetchone()
        return None if row is None else row[0]


class Ingest:
    """One consumer instance: reconnects with backoff, acknowledges after commit."""

    def __init__(self, options: IngestOptions, store: IngestStore, clock: Clock, *, rng: random.Random | None = None) -> None:
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
            link = MqttLink(self._params(), manual_ack=True)
            try:
                await link.connect()
                share = f"$share/{self.options.group}/" if self.options.group else ""
                await link.subscribe([share + f for f in backend_filters(self.options.topic_prefix)])
                await link.subscribe([presence_filter(self.options.topic_prefix)])
                self.stats.connects += 1
                self.subscribed.set()
                log.info("ingest.connected", broker=link.where, session_present=link.session_present)
                await self._consume(link)
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
            outcomes = self.store.store_batch([(m.topic, bytes(m.payload)) for m in batch])
            for m, outcome in zip(batch, outcomes, strict=True):
                link.ack(m)
                setattr(self.stats, outcome.value, getattr(self.stats, outcome.value) + 1)
            self._backoff.reset()
