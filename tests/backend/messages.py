"""Messages for the backend tests: good summaries, and the poison a fuzzer found (issue 17, finding 1)."""

from __future__ import annotations

import uuid

import msgpack

from agent.outputs.summaries.records import DeviceHealth, DiskUsage, DistressStats, MinuteSummary, SessionSummary
from agent.outputs.sync.codec import encode_record

SITE, DEVICE = "clinic-a", "headset-1"
BASE = f"v1/{SITE}/{DEVICE}"
MINUTE_TOPIC, SESSION_TOPIC, HEALTH_TOPIC, PRESENCE_TOPIC = (
    f"{BASE}/summary/minute", f"{BASE}/summary/session", f"{BASE}/health", f"{BASE}/presence")


def key(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


def minute(n: int, **kw: object) -> MinuteSummary:
    return MinuteSummary(start=60.0 * n, end=60.0 * (n + 1),
                         distress=DistressStats(n=0, mean=None, p90=None, histogram=[0] * 5), **kw)  # type: ignore[arg-type]


def session(n: int, **kw: object) -> SessionSummary:
    return SessionSummary(session_id=f"s{n}", start=1000.0 * n, end=1000.0 * n + 600, duration_s=600,  # type: ignore[arg-type]
                          completed=True, **kw)


def health(n: int, **kw: object) -> DeviceHealth:
    return DeviceHealth(t=float(n), uptime_s=float(n), agent_version="test",  # type: ignore[arg-type]
                        disk=DiskUsage(path="/", total_bytes=1, free_bytes=1), **kw)


def encoded(record: object, n: int, *, site: str = SITE, device: str = DEVICE) -> bytes:
    return encode_record(record, key=key(n), created=1.7e9 + n, site=site, device=device)  # type: ignore[arg-type]


def envelope(kind: str, n: int, body: dict[str, object]) -> bytes:
    """A hand-built envelope, for bodies the agent's own models would never produce."""
    return msgpack.packb({"v": 1, "kind": kind, "key": key(n), "created": 1.7e9 + n, "site": SITE, "device": DEVICE,
                          "body": body}, use_bin_type=True)


def presence(t: object, state: str = "online") -> bytes:
    return msgpack.packb({"v": 1, "kind": "presence", "state": state, "t": t, "site": SITE, "device": DEVICE,
                          "agent_version": "test"}, use_bin_type=True)


def health_body(**outbox: object) -> dict[str, object]:
    return {"t": 1.0, "uptime_s": 1.0, "agent_version": "test",
            "disk": {"path": "/", "total_bytes": 1, "free_bytes": 1},
            "outbox": outbox}


# Each once able to stop the consumer or corrupt a row. The first three the codec itself now
# refuses (agent.outputs.sync.codec, issue 17's fuzzing); the rest pass it and only ingest's checks stop them.
# Either way each is quarantined with its reason.
POISON: dict[str, tuple[str, bytes, str]] = {
    "presence t NaN": (PRESENCE_TOPIC, presence(float("nan")), "not a finite time"),
    "presence t inf": (PRESENCE_TOPIC, presence(float("inf")), "not a finite time"),
    "health outbox bytes": (HEALTH_TOPIC, envelope("health", 101, health_body(records=b"\xff\xfe")), "does not encode again"),
    "health outbox NaN": (HEALTH_TOPIC, envelope("health", 102, health_body(bytes=float("nan"))), "not a finite"),
    "health outbox huge int": (HEALTH_TOPIC, envelope("health", 103, health_body(records=2**64 - 1)), "64 bits"),
    "health outbox deep": (HEALTH_TOPIC, envelope("health", 104, health_body(x=[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]])),
                           "nested deeper"),
    "minute NUL in text": (MINUTE_TOPIC, envelope("summary.minute", 105, {
        "start": 0.0, "end": 60.0, "session_id": "s\x001", "distress": {"n": 0, "mean": None, "p90": None,
                                                                       "histogram": [0] * 5}}), "NUL"),
    "minute feature inf": (MINUTE_TOPIC, envelope("summary.minute", 106, {
        "start": 0.0, "end": 60.0, "distress": {"n": 0, "mean": None, "p90": None, "histogram": [0] * 5},
        "features": {"hr_bpm": {"mean": float("inf"), "min": 1.0, "max": 2.0, "ticks": 1, "coverage": 1.0}}}),
                           "not a finite"),
    "session pain NaN": (SESSION_TOPIC, envelope("summary.session", 107, {
        "session_id": "s1", "start": 0.0, "end": 60.0, "duration_s": 60.0, "completed": True,
        "pain_before": float("nan")}), "not a finite"),
    "bad device id": (f"v1/{SITE}/Bad Device/summary/minute", msgpack.packb(
        {"v": 1, "kind": "summary.minute", "key": key(108), "created": 1.0, "site": SITE, "device": "Bad Device",
         "body": {"start": 0.0, "end": 60.0, "distress": {"n": 0, "mean": None, "p90": None, "histogram": [0] * 5}}},
        use_bin_type=True), "not a valid id"),
}
