"""Payload codec: a msgpack envelope around each record (schema version 1).

Every payload is a msgpack map, self-describing even where MQTT 5
properties are stripped (a 3.1.1 bridge)::

    {"v": 1, "kind": "summary.minute", "key": "<uuid4>", "created": 1700000000.0,
     "site": "clinic-a", "device": "headset-7", "body": {...}}

``key`` is the idempotency key: the same record re-sent after a crash has
the same key, and a consumer stores each key once. Decoding validates the
envelope and the body against :mod:`agent.outputs.summaries.records`; anything
malformed raises :class:`~agent.errors.ProtocolError` (count it, drop it).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import msgpack
import pydantic

from agent.errors import ProtocolError
from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.summaries.records import DeviceHealth, MinuteSummary, SessionSummary, SummaryRecord

SCHEMA_VERSION = 1
CONTENT_TYPE = "application/vnd.vr-edge-agent.v1+msgpack"
MAX_PAYLOAD_BYTES = 256 * 1024  # far above any summary; bounds what a consumer will unpack

BODY_MODEL: dict[RecordKind, type[pydantic.BaseModel]] = {
    RecordKind.MINUTE: MinuteSummary,
    RecordKind.SESSION: SessionSummary,
    RecordKind.HEALTH: DeviceHealth,
}
_KIND_OF_MODEL = {model: kind for kind, model in BODY_MODEL.items()}


@dataclass(frozen=True, slots=True)
class Envelope:
    kind: RecordKind
    key: str
    created: float
    site: str
    device: str
    body: SummaryRecord


@dataclass(frozen=True, slots=True)
class Presence:
    state: Literal["online", "offline"]
    t: float
    site: str
    device: str
    agent_version: str


def kind_of(record: SummaryRecord) -> RecordKind:
    return _KIND_OF_MODEL[type(record)]


def encode_record(record: SummaryRecord, *, key: str, created: float, site: str, device: str) -> bytes:
    envelope = {
        "v": SCHEMA_VERSION,
        "kind": str(kind_of(record)),
        "key": key,
        "created": created,
        "site": site,
        "device": device,
        "body": record.model_dump(mode="json"),
    }
    return msgpack.packb(envelope, use_bin_type=True)


def decode_record(payload: bytes) -> Envelope:
    m = _unpack(payload)
    kind = _field(m, "kind", str)
    try:
        record_kind = RecordKind(kind)
    except ValueError:
        raise ProtocolError(f"unknown record kind {kind!r}") from None
    key = _field(m, "key", str)
    try:
        if str(uuid.UUID(key)) != key:
            raise ValueError(key)
    except ValueError:
        raise ProtocolError(f"key {key!r} is not a canonical UUID") from None
    created = _field(m, "created", (int, float))
    if not math.isfinite(created):
        raise ProtocolError("created is not a finite time")
    body = _field(m, "body", dict)
    try:
        record = BODY_MODEL[record_kind].model_validate(body)
    except pydantic.ValidationError as exc:
        raise ProtocolError(f"{kind} body is invalid: {exc.error_count()} error(s), first: {exc.errors()[0]['msg']}") from None
    try:  # what is accepted must encode again: a consumer re-packs and stores it (free-form maps may hold bytes)
        msgpack.packb(record.model_dump(mode="json"), use_bin_type=True)
    except (ValueError, TypeError, OverflowError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"{kind} body does not encode again: {type(exc).__name__}: {exc}") from None
    return Envelope(record_kind, key, float(created), _field(m, "site", str), _field(m, "device", str), record)  # type: ignore[arg-type]


def encode_presence(p: Presence) -> bytes:
    return msgpack.packb(
        {"v": SCHEMA_VERSION, "kind": "presence", "state": p.state, "t": p.t, "site": p.site, "device": p.device,
         "agent_version": p.agent_version},
        use_bin_type=True,
    )


def decode_presence(payload: bytes) -> Presence:
    m = _unpack(payload)
    if m.get("kind") != "presence":
        raise ProtocolError(f"not a presence message (kind={m.get('kind')!r})")
    state = _field(m, "state", str)
    if state not in ("online", "offline"):
        raise ProtocolError(f"unknown presence state {state!r}")
    t = float(_field(m, "t", (int, float)))
    if not math.isfinite(t):
        raise ProtocolError(f"presence t is not a finite time ({t})")
    return Presence(state, t, _field(m, "site", str), _field(m, "device", str),  # type: ignore[arg-type]
                    _field(m, "agent_version", str))


def _unpack(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        m = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except Exception as exc:  # noqa: BLE001 - msgpack raises several unrelated types for bad bytes
        raise ProtocolError(f"payload is not msgpack: {type(exc).__name__}: {exc}") from None
    if not isinstance(m, dict):
        raise ProtocolError(f"payload is a msgpack {type(m).__name__}, not a map")
    v = m.get("v")
    if v != SCHEMA_VERSION:
        raise ProtocolError(f"schema version {v!r} is not supported (this consumer reads v{SCHEMA_VERSION})")
    return m


def _field(m: dict[str, Any], name: str, types: type | tuple[type, ...]) -> Any:
    value = m.get(name)
    if not isinstance(value, types) or isinstance(value, bool):
        raise ProtocolError(f"envelope field {name!r} is missing or has the wrong type ({type(value).__name__})")
    return value
