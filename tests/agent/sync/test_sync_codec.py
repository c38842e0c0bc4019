"""The payload codec: a golden vector, round trips, and no crash on arbitrary bytes."""

from __future__ import annotations

import uuid

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.base.adaptation import Level
from agent.errors import ProtocolError
from agent.outputs.outbox import RecordKind
from agent.outputs.summaries.records import DistressStats, FeatureStats, MinuteSummary, SessionSummary
from agent.outputs.sync.codec import Presence, decode_presence, decode_record, encode_presence, encode_record
from agent.outputs.sync.topics import Topics, parse

KEY = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
GOLDEN_MINUTE = bytes.fromhex(
    "87a17601a46b696e64ae73756d6d6172792e6d696e757465a36b6579d92433663235303465302d346638392d343164332d396130632d303330356538326333333031a763726561746564cb41d954fc40000000a473697465a8636c696e69632d61a6646576696365a9686561647365742d31a4626f64798aa46b696e64ae73756d6d6172792e6d696e757465a57374617274cb40b7700000000000a3656e64cb40b7ac0000000000aa73657373696f6e5f6964a3732d31a8666561747572657381a668725f62706d86a46d65616ecb4052200000000000a36d696ecb4051800000000000a36d6178cb4052c00000000000a57469636b73ccf0a8636f766572616765cb3ff0000000000000a77175616c697479c0a8646973747265737384a16e02a46d65616ecb3fd0000000000000a3703930cb3fd3333333333333a9686973746f6772616d950101000000a86c6576656c735f7381a463616c6dcb404e000000000000ab61646170746174696f6e7302a773747265616d7380ab646973636f6e6e6563747380"
)


def golden_record() -> MinuteSummary:
    return MinuteSummary(
        start=6000.0, end=6060.0, session_id="s-1",
        features={"hr_bpm": FeatureStats(mean=72.5, min=70.0, max=75.0, ticks=240, coverage=1.0)},
        distress=DistressStats(n=2, mean=0.25, p90=0.3, histogram=[1, 1, 0, 0, 0]),
        levels_s={Level.CALM: 60.0}, adaptations=2,
    )


def test_golden_minute_summary_bytes() -> None:
    assert encode_record(golden_record(), key=KEY, created=1.7e9, site="clinic-a", device="headset-1") == GOLDEN_MINUTE
    env = decode_record(GOLDEN_MINUTE)
    assert (env.kind, env.key, env.created, env.site, env.device) == (RecordKind.MINUTE, KEY, 1.7e9, "clinic-a", "headset-1")
    assert env.body == golden_record()
    raw = msgpack.unpackb(GOLDEN_MINUTE)  # what a consumer in any language sees, as docs/mqtt-schema.md says
    assert raw["v"] == 1 and raw["kind"] == "summary.minute" and raw["body"]["levels_s"] == {"calm": 60.0}


@settings(max_examples=80, deadline=None)
@given(
    key=st.uuids(version=4).map(str),
    created=st.floats(0, 4e9),
    sid=st.text(min_size=1, max_size=20),
    duration=st.floats(0, 1e5),
    completed=st.booleans(),
    pain=st.none() | st.floats(0, 10),
    levels=st.dictionaries(st.sampled_from(list(Level)), st.floats(0, 1e4)),
)
def test_session_summaries_round_trip(
    key: str, created: float, sid: str, duration: float, completed: bool, pain: float | None, levels: dict[Level, float]
) -> None:
    record = SessionSummary(session_id=sid, start=created, end=created + duration, duration_s=duration,
                            completed=completed, pain_before=pain, levels_s=levels)
    env = decode_record(encode_record(record, key=key, created=created, site="s", device="d"))
    assert env.body == record and env.key == key and env.kind is RecordKind.SESSION


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda d: msgpack.packb(d), st.dictionaries(
    st.sampled_from(["v", "kind", "key", "created", "site", "device", "body", "x"]),
    st.one_of(st.integers(-(2**63), 2**64 - 1), st.text(max_size=5), st.floats(), st.none(), st.just(1), st.just(KEY),
              st.just("summary.minute"), st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=2)),
)))
def test_arbitrary_bytes_are_a_protocol_error_or_a_valid_record(payload: bytes) -> None:
    try:
        env = decode_record(payload)
    except ProtocolError:
        return
    uuid.UUID(env.key)  # anything accepted is well-formed


@pytest.mark.parametrize("bad", [b"", b"\xc1", msgpack.packb([1, 2]), msgpack.packb({"v": 2}),
                                 GOLDEN_MINUTE.replace(b"summary.minute", b"summary.hourly"),
                                 GOLDEN_MINUTE.replace(KEY.encode(), b"not-a-uuid-but-36-characters-long!!")])
def test_malformed_payloads_are_refused_with_a_reason(bad: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_record(bad)


def test_presence_round_trip_and_topics() -> None:
    p = Presence("offline", 12.5, "clinic-a", "headset-1", "0.1.0")
    assert decode_presence(encode_presence(p)) == p
    topics = Topics("clinic-a", "headset-1")
    assert topics.record(RecordKind.SESSION) == "v1/clinic-a/headset-1/summary/session"
    assert topics.record(RecordKind.HEALTH) == "v1/clinic-a/headset-1/health"
    assert parse(topics.record(RecordKind.MINUTE)).kind is RecordKind.MINUTE  # type: ignore[union-attr]
    assert parse(topics.presence).kind is None  # type: ignore[union-attr]
    assert parse("v1/a/b/cmd/reboot") is None and parse("v2/a/b/health") is None


def test_presence_with_a_non_finite_time_is_a_protocol_error() -> None:
    for t in (float("nan"), float("inf"), -float("inf")):
        payload = msgpack.packb({"v": 1, "kind": "presence", "state": "online", "t": t, "site": "a", "device": "b",
                                 "agent_version": "1"})
        with pytest.raises(ProtocolError, match="presence t is not a finite time"):
            decode_presence(payload)


def test_a_health_body_that_cannot_encode_again_is_a_protocol_error() -> None:
    # outbox is a free-form map: bytes in it validated, then broke the consumer's re-encode
    health = {"kind": "health", "t": 1.0, "uptime_s": 1.0, "agent_version": "1",
              "disk": {"path": "/", "total_bytes": 1, "free_bytes": 1}, "outbox": {"depth": b"\xff\xfe"}}
    payload = msgpack.packb({"v": 1, "kind": "health", "key": KEY, "created": 1.0, "site": "a", "device": "b",
                             "body": health}, use_bin_type=True)
    with pytest.raises(ProtocolError, match="health body does not encode again: UnicodeDecodeError"):
        decode_record(payload)
