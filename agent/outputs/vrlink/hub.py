"""The VR link's shared state: connected clients, the latest signals, counters, app events.

The agent publishes into the hub; the hub encodes each message once and
hands the same frame to every client's mailbox without waiting. Messages the
apps send (sessions, markers, pain ratings) go to the hub's
:class:`~agent.outputs.vrlink.recording.EventRecorder`, which commits them to the
journal, answers them and hands each newly recorded one to the agent.

Two clocks: ``clock`` is the agent's (``--speed`` may run it fast) and stamps
``t``; ``wall`` runs at real speed and times everything the protocol states in
seconds (heartbeats, timeouts, what is left of an adaptation's ``ttl_s``).
"""

from __future__ import annotations

import collections
import secrets
import time
from collections.abc import Mapping
from typing import Any, Protocol

from agent.base.adaptation import Adaptation
from agent.base.clock import Clock
from agent.base.queues import BoundedQueue
from agent.outputs.vrlink.fanout import Mailbox, Outgoing
from agent.outputs.vrlink.frames import encode_frame
from agent.outputs.vrlink.latency import LatencyHistogram
from agent.outputs.vrlink.messages import Status, adaptation_to_wire
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.recording import AppEvent, EventRecorder

__all__ = ["AppEvent", "Hub"]
MAX_NAMED_COUNTERS = 256  # distinct counter names: an app cannot grow the stats without bound


class ClientLink(Protocol):
    """What the hub needs of a connected client (``agent.outputs.vrlink.connection.ClientLink``, which imports the hub)."""

    mailbox: Mailbox

    @property
    def wants_status(self) -> bool: ...

    @property
    def wants_adaptation(self) -> bool: ...

    def offer(self, lane: BoundedQueue[Outgoing], item: Outgoing) -> None: ...


class Hub:
    def __init__(self, options: VrLinkOptions, clock: Clock, wall: Clock | None = None) -> None:
        self.options = options
        self.clock = clock
        self.wall = wall or Clock()  # protocol time is real time, whatever --speed is
        self.recorder: EventRecorder | None = None  # set by the server when it starts
        self.instance = secrets.token_hex(8)
        self.links: set[ClientLink] = set()
        self.counters: collections.Counter[str] = collections.Counter()
        self._latest_adaptation: tuple[dict[str, Any], float] | None = None  # wire map, agent time published
        self._latest_status: Outgoing | None = None
        self._last_seq: int | None = None
        self.send_latency = LatencyHistogram()
        self._dropped_by_gone_clients = 0
        self._next_client = 0

    def new_client_id(self) -> str:
        self._next_client += 1
        return f"c{self._next_client}"

    # -- agent -> apps ------------------------------------------------------------

    def publish_adaptation(self, a: Adaptation) -> None:
        if self._last_seq is not None and a.seq <= self._last_seq:
            raise ValueError(f"adaptation seq must increase: got {a.seq} after {self._last_seq}")
        self._last_seq = a.seq
        started = time.perf_counter_ns()  # the latency figure counts encoding too
        wire = adaptation_to_wire(a)
        item = Outgoing("adaptation", encode_frame(wire, self.options.max_frame_bytes), started)
        self._latest_adaptation = (wire, self.wall.now())
        self.counters["published.adaptation"] += 1
        for link in self.links:
            if link.wants_adaptation:
                link.offer(link.mailbox.adaptation, item)

    def publish_status(self, status: Status | Mapping[str, Any]) -> None:
        if not isinstance(status, Status):
            status = Status.model_validate(status, strict=False)
        wire = {**status.to_wire(), "t": self.clock.now()}
        item = Outgoing("status", encode_frame(wire, self.options.max_frame_bytes))
        self._latest_status = item
        self.counters["published.status"] += 1
        for link in self.links:
            if link.wants_status:
                link.offer(link.mailbox.status, item)

    def heartbeat(self) -> None:
        item = Outgoing("heartbeat", encode_frame({"type": "heartbeat", "t": self.clock.now()}))
        for link in self.links:
            link.offer(link.mailbox.heartbeat, item)

    def catch_up(self, link: ClientLink) -> None:
        """A new client gets the current status, and the latest adaptation if it has not expired."""
        if self._latest_status is not None and link.wants_status:
            link.mailbox.put(link.mailbox.status, self._latest_status)
        if self._latest_adaptation is not None and link.wants_adaptation:
            wire, published = self._latest_adaptation
            remaining = wire["ttl_s"] - (self.wall.now() - published)
            if remaining > 0:
                frame = encode_frame({**wire, "ttl_s": remaining}, self.options.max_frame_bytes)
                link.mailbox.put(link.mailbox.adaptation, Outgoing("adaptation", frame))

    def attach(self, link: ClientLink) -> None:
        self.links.add(link)
        self.catch_up(link)

    def detach(self, link: ClientLink) -> None:
        if link in self.links:
            self.links.discard(link)
            self._dropped_by_gone_clients += link.mailbox.dropped_adaptations

    def record_sent(self, item: Outgoing) -> None:
        self.counters[f"sent.{item.kind}"] += 1
        if item.kind == "adaptation":
            self.send_latency.add(time.perf_counter_ns() - item.queued_ns)

    def count(self, name: str, n: int = 1) -> None:
        """Count under ``name``; names an app chooses (types, fields) share one bucket past the limit."""
        if name not in self.counters and len(self.counters) >= MAX_NAMED_COUNTERS:
            name = "other"
        self.counters[name] += n

    # -- figures -------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The link statistics of docs/vr-protocol.md: counters (errors.<code>, ignored...), drops, events."""
        dropped = self._dropped_by_gone_clients + sum(link.mailbox.dropped_adaptations for link in self.links)
        return {
            "clients": len(self.links),
            "adaptations_dropped": dropped,
            "control_dropped": self.counters.get("control_dropped", 0),
            "counters": dict(sorted(self.counters.items())),
            "events": self.recorder.stats() if self.recorder is not None else {},
            "send_latency_ms": self.send_latency.summary_ms(),
        }
