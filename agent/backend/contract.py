"""What a consumer stores must be storable: the contract checked on every message before any row is written.

The codec (:mod:`agent.outputs.sync.codec`) checks the schema; this checks what the
schema lets through and a database refuses: non-finite numbers (SQLite turns
NaN into NULL, PostgreSQL's JSON has no NaN), bytes where text goes, NUL
characters (PostgreSQL text cannot hold them), integers beyond 64 bits, and
nesting deeper than any summary has. Everything that fails becomes a
:class:`~agent.errors.ProtocolError` naming the field, so the message is
quarantined with that reason instead of stopping the consumer.

:func:`prepare` turns one MQTT message into what the store writes: a
:class:`RecordRow`, a :class:`PresenceRow` or a :class:`Rejection`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import msgpack
import pydantic

from agent.base.adaptation import Level
from agent.errors import ProtocolError
from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.summaries.records import DeviceHealth, MinuteSummary, SessionSummary
from agent.outputs.sync.codec import decode_presence, decode_record
from agent.outputs.sync.options import TopicId
from agent.outputs.sync.topics import parse

MAX_DEPTH = 12  # summaries nest four deep; this bounds the walk, not the schema
INT64 = 2**63
KEPT_PAYLOAD_BYTES = 64 * 1024  # how much of a rejected payload is kept for forensics
_TOPIC_ID: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(TopicId)


def check_storable(value: Any, where: str = "body") -> None:
    """Raise ProtocolError naming the first field a database could not store faithfully."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        v, at, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ProtocolError(f"{at} is nested deeper than {MAX_DEPTH} levels")
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, int):
            if not -INT64 <= v < INT64:
                raise ProtocolError(f"{at} is an integer beyond 64 bits")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ProtocolError(f"{at} is not a finite number ({v!r})")
        elif isinstance(v, str):
            if "\x00" in v:
                raise ProtocolError(f"{at} holds a NUL character")
        elif isinstance(v, dict):
            for k, item in v.items():
                if not isinstance(k, str) or "\x00" in k:
                    raise ProtocolError(f"{at} has a key that is not text without NUL ({k!r})")
                stack.append((item, f"{at}.{k}", depth + 1))
        elif isinstance(v, list | tuple):
            stack.extend((item, f"{at}[{i}]", depth + 1) for i, item in enumerate(v))
        elif isinstance(v, bytes | bytearray | memoryview):
            raise ProtocolError(f"{at} is binary, not text")
        else:
            raise ProtocolError(f"{at} is a {type(v).__name__}, which a summary never holds")


@dataclass(frozen=True, slots=True)
class Rejection:
    topic: str
    payload: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class PresenceRow:
    site: str
    device: str
    state: str
    t: float
    agent_version: str


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One summary: the ledger entry (key, kind, ...) plus its typed table's columns."""

    key: str
    kind: RecordKind
    site: str
    device: str
    created: float
    body: dict[str, Any]  # JSON-ready
    table: str
    columns: dict[str, Any]


Prepared = RecordRow | PresenceRow | Rejection


def safe_text(text: str, limit: int = 2000) -> str:
    """A topic or reason as any database can hold it: no NUL, bounded."""
    return text.replace("\x00", "\\x00")[:limit]


def prepare(topic: str, payload: bytes, prefix: str = "v1") -> Prepared:
    """Decode, validate and shape one message; never raises (a bad message becomes a Rejection)."""
    try:
        return _prepare(topic, payload, prefix)
    except ProtocolError as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - whatever a publisher sends must not stop the consumer
        reason = f"undecodable: {type(exc).__name__}: {exc}"
    return Rejection(safe_text(topic), bytes(payload[:KEPT_PAYLOAD_BYTES]), safe_text(reason))


def _ids(site: str, device: str) -> None:
    try:
        _TOPIC_ID.validate_python(site)
        _TOPIC_ID.validate_python(device)
    except pydantic.ValidationError as exc:
        raise ProtocolError(f"site or device is not a valid id: {exc.errors()[0]['msg']}") from None


def _prepare(topic: str, payload: bytes, prefix: str) -> Prepared:
    where = parse(topic, prefix)
    if where is None:
        raise ProtocolError(f"topic {topic!r} is not part of the {prefix} scheme")
    if where.kind is None:
        p = decode_presence(payload)
        if (p.site, p.device) != (where.site, where.device):
            raise ProtocolError(f"presence for {p.site}/{p.device} arrived on {topic}")
        _ids(p.site, p.device)
        check_storable({"t": p.t, "agent_version": p.agent_version}, "presence")
        return PresenceRow(p.site, p.device, p.state, p.t, p.agent_version)
    env = decode_record(payload)
    if (env.site, env.device, env.kind) != (where.site, where.device, where.kind):
        raise ProtocolError(f"{env.kind} from {env.site}/{env.device} arrived on {topic}")
    _ids(env.site, env.device)
    check_storable(env.body.model_dump(mode="python"))
    body = env.body.model_dump(mode="json")
    table, columns = typed_columns(env.body)
    check_storable(columns, "columns")
    return RecordRow(env.key, env.kind, env.site, env.device, env.created, body, table, columns)


def _level_columns(levels_s: dict[Level, float]) -> dict[str, float]:
    return {f"{level.value}_s": float(levels_s.get(level, 0.0)) for level in Level}


def typed_columns(body: object) -> tuple[str, dict[str, Any]]:
    """The columns a clinician's query filters and sums on; the whole body is kept beside them as JSON."""
    if isinstance(body, SessionSummary):
        return "sessions", {
            "session_id": body.session_id, "started": body.start, "ended": body.end, "duration_s": body.duration_s,
            "scene": body.scene, "completed": body.completed, "end_reason": body.end_reason,
            "pain_before": body.pain_before, "pain_after": body.pain_after, **_level_columns(body.levels_s),
            "adaptations": body.adaptations, "level_changes": body.level_changes, "calibrated": body.calibration.ok,
        }
    if isinstance(body, MinuteSummary):
        hr, scl = body.features.get("hr_bpm"), body.features.get("scl_us")
        return "minutes", {
            "session_id": body.session_id, "started": body.start, "ended": body.end,
            "hr_bpm": hr.mean if hr else None, "scl_us": scl.mean if scl else None,
            "distress_mean": body.distress.mean, "distress_p90": body.distress.p90,
            **_level_columns(body.levels_s), "adaptations": body.adaptations,
        }
    if isinstance(body, DeviceHealth):
        rx = body.prescription
        return "health", {
            "t": body.t, "uptime_s": body.uptime_s, "agent_version": body.agent_version,
            "disk_free_bytes": body.disk.free_bytes,
            "sessions_per_week": rx.sessions_per_week if rx else None,
            "minutes_per_session": rx.minutes_per_session if rx else None,
        }
    raise ProtocolError(f"no table for {type(body).__name__}")


def archive(row: RecordRow) -> bytes:
    """The msgpack body the SQLite ledger has always kept (``records.body``)."""
    return msgpack.packb(row.body, use_bin_type=True)
