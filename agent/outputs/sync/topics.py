"""The topic scheme: ``{prefix}/{site}/{device}/{leaf}``, general to specific.

Data the agent publishes::

    v1/{site}/{device}/summary/minute
    v1/{site}/{device}/summary/session
    v1/{site}/{device}/health
    v1/{site}/{device}/presence        (retained; also the Will)

Commands to the agent, if ever added, live under the separate leaf
``v1/{site}/{device}/cmd/...``; the agent never subscribes to ``#``.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.outputs.outbox.kinds import RecordKind

_LEAF = {
    RecordKind.MINUTE: "summary/minute",
    RecordKind.SESSION: "summary/session",
    RecordKind.HEALTH: "health",
}
_KIND_OF_LEAF = {leaf: kind for kind, leaf in _LEAF.items()}
PRESENCE_LEAF = "presence"


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one device."""

    site: str
    device: str
    prefix: str = "v1"

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site}/{self.device}"

    def record(self, kind: RecordKind) -> str:
        return f"{self.base}/{_LEAF[kind]}"

    @property
    def presence(self) -> str:
        return f"{self.base}/{PRESENCE_LEAF}"


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    site: str
    device: str
    kind: RecordKind | None  # None for presence


def parse(topic: str, prefix: str = "v1") -> ParsedTopic | None:
    """Split a data topic of this scheme; None if it is not one."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != prefix:
        return None
    site, device, leaf = parts[1], parts[2], "/".join(parts[3:])
    if leaf == PRESENCE_LEAF:
        return ParsedTopic(site, device, None)
    kind = _KIND_OF_LEAF.get(leaf)
    return None if kind is None else ParsedTopic(site, device, kind)


def backend_filters(prefix: str = "v1") -> list[str]:
    """What a backend consumer subscribes to (records; presence is separate, see ``presence_filter``)."""
    return [f"{prefix}/+/+/summary/+", f"{prefix}/+/+/health"]


def presence_filter(prefix: str = "v1") -> str:
    return f"{prefix}/+/+/{PRESENCE_LEAF}"
