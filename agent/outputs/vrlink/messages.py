"""The typed messages of VR link protocol version 1 (specified in docs/vr-protocol.md).

Every frame holds a map with a string ``type``. Fields are checked strictly
(no string-to-number coercion; an integer is accepted where a float is
expected, because msgpack encoders write 5.0 as 5). Unknown keys are
ignored, so a minor addition never breaks an older peer; unknown types are
ignored too (the server counts them and notices each one once).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import pydantic

from agent.base.adaptation import Adaptation, Level, Pace
from agent.outputs.vrlink.frames import FrameError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
CAPABILITIES = ("adaptation", "status", "events")  # what a hello may ask for

Ident = Annotated[str, pydantic.StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, pydantic.StringConstraints(max_length=256)]
MsgId = int | Annotated[str, pydantic.StringConstraints(max_length=64)]
Fraction = Annotated[float, pydantic.Field(ge=0.0, le=1.0)]


class Message(pydantic.BaseModel):
    """A protocol message; ``type`` is the class's wire name, not a field."""

    model_config = pydantic.ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)
    type: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.type, **self.model_dump(mode="json")}


# -- app -> agent ---------------------------------------------------------------


class Hello(Message):
    type: ClassVar[str] = "hello"
    versions: list[int] = pydantic.Field(min_length=1, max_length=16)
    client: Text = ""
    capabilities: list[Annotated[str, pydantic.StringConstraints(max_length=32)]] = pydantic.Field(
        default_factory=lambda: list(CAPABILITIES), max_length=16
    )
    token: Text | None = None


class AppEventMessage(Message):
    """The messages the agent records; ``id``, if given, is echoed in the ack."""

    id: MsgId | None = None
    t_app: float | None = None  # the app's own clock, recorded as-is for alignment


class SessionStart(AppEventMessage):
    type: ClassVar[str] = "session_start"
    session_id: Ident
    protocol_id: Ident
    scene_id: Ident


class SessionEnd(AppEventMessage):
    type: ClassVar[str] = "session_end"
    session_id: Ident
    reason: Literal["completed", "aborted", "error"] = "completed"


class Marker(AppEventMessage):
    type: ClassVar[str] = "marker"
    label: Ident
    session_id: Ident | None = None
    scene_id: Ident | None = None
    value: float | None = None


class PainRating(AppEventMessage):
    type: ClassVar[str] = "pain_rating"
    session_id: Ident
    nrs: int = pydantic.Field(ge=0, le=10)  # numeric rating scale
    phase: Literal["before", "after"]


class Heartbeat(Message):
    """Both directions: proof of life. ``t`` is the sender's clock in seconds."""

    type: ClassVar[str] = "heartbeat"
    t: float | None = None


APP_MESSAGES: dict[str, type[Message]] = {
    m.type: m for m in (Hello, SessionStart, SessionEnd, Marker, PainRating, Heartbeat)
}
APP_EVENTS = (SessionStart, SessionEnd, Marker, PainRating)


# -- agent -> app ---------------------------------------------------------------


class Welcome(Message):
    type: ClassVar[str] = "welcome"
    version: int
    agent: str
    instance: str  # changes when the agent restarts; adaptation seq restarts with it
    client_id: str
    capabilities: list[str]
    max_frame: int
    heartbeat_s: float


class SuggestionsWire(Message):
    intensity: float = pydantic.Field(ge=0.0, le=1.5)
    pace: Annotated[Pace, pydantic.Strict(False)]
    breathing_guide: bool


class AdaptationMessage(Message):
    type: ClassVar[str] = "adaptation"
    seq: int = pydantic.Field(ge=0)
    t: float
    level: Annotated[Level, pydantic.Strict(False)]
    distress: Fraction
    confidence: Fraction
    suggestions: SuggestionsWire
    reasons: list[str]
    ttl_s: float = pydantic.Field(gt=0)
    model: str | None = None  # added within version 1: the version of the model that decided


class SensorStatus(Message):
    id: Ident
    modality: Ident
    state: Literal["connected", "connecting", "disconnected"]
    quality: Fraction | None = None  # signal-quality index; None while unknown
    contact: bool | None = None  # skin contact, where the sensor reports it


class CalibrationStatus(Message):
    state: Literal["needed", "running", "done"] = "needed"
    progress: Fraction = 0.0


class Status(Message):
    """What the agent publishes about its sensors; the server stamps ``t`` when it sends it."""

    type: ClassVar[str] = "status"
    sensors: list[SensorStatus] = pydantic.Field(default_factory=list)
    calibration: CalibrationStatus = CalibrationStatus()
    quality: Literal["good", "degraded", "none"] = "none"  # none: nothing trustworthy, the policy holds


class StatusMessage(Status):
    t: float


class ErrorMessage(Message):
    type: ClassVar[str] = "error"
    code: str
    message: str
    fatal: bool
    ref: str | None = None
    id: MsgId | None = None
    retry_after_s: float | None = None  # busy: send the same event again after this many seconds


class Ack(Message):
    type: ClassVar[str] = "ack"
    id: MsgId
    ref: str


AGENT_MESSAGES: dict[str, type[Message]] = {
    m.type: m for m in (Welcome, AdaptationMessage, StatusMessage, Heartbeat, ErrorMessage, Ack)
}


def adaptation_to_wire(a: Adaptation) -> dict[str, Any]:
    """The wire map of an Adaptation, built directly: this is the hot path."""
    s = a.suggestions
    return {
        "type": "adaptation",
        "seq": int(a.seq),
        "t": float(a.t),
        "level": a.level.value,
        "distress": float(a.distress),
        "confidence": float(a.confidence),
        "suggestions": {
            "intensity": float(s.intensity),
            "pace": s.pace.value,
            "breathing_guide": bool(s.breathing_guide),
        },
        "reasons": list(a.reasons),
        "ttl_s": float(a.ttl_s),
        "model": a.model,
    }


def message_id(value: object) -> int | str | None:
    """The ``id`` of a raw message if it is a usable one, to echo in an error."""
    if isinstance(value, dict):
        mid = value.get("id")
        if (isinstance(mid, int) and not isinstance(mid, bool)) or (isinstance(mid, str) and len(mid) <= 64):
            return mid
    return None


def parse(value: object, registry: dict[str, type[Message]]) -> Message:
    """A decoded frame as a typed message, or FrameError with the protocol's error code."""
    if not isinstance(value, dict):
        raise FrameError("bad_message", f"a message must be a map, got {_kind(value)}")
    mtype = value.get("type")
    if not isinstance(mtype, str):
        raise FrameError("bad_message", "a message needs a string 'type'")
    cls = registry.get(mtype)
    if cls is None:
        raise FrameError("unknown_type", f"unknown message type {mtype[:64]!r}", ref=mtype[:64])
    try:
        return cls.model_validate(value)
    except pydantic.ValidationError as exc:
        raise FrameError("invalid_message", _summary(exc), ref=mtype) from None


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", bytes: "binary", bool: "a boolean", int: "an integer"}.get(
        type(value), type(value).__name__
    )


def _summary(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
