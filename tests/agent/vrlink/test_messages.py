"""Typed messages: what is accepted, and the error code of everything that is not."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.base.adaptation import Level, Pace
from agent.outputs.vrlink.frames import FrameError
from agent.outputs.vrlink.messages import (
    AGENT_MESSAGES,
    APP_MESSAGES,
    AdaptationMessage,
    Hello,
    Marker,
    PainRating,
    SessionStart,
    Status,
    adaptation_to_wire,
    message_id,
    parse,
)

from .conftest import adaptation


def app(value: Any) -> Any:
    return parse(value, APP_MESSAGES)


def code_of(value: Any) -> str:
    with pytest.raises(FrameError) as info:
        app(value)
    return info.value.code


def test_valid_app_messages() -> None:
    assert app(
        {"type": "session_start", "session_id": "s1", "protocol_id": "p1", "scene_id": "beach", "id": 3}
    ) == SessionStart(id=3, session_id="s1", protocol_id="p1", scene_id="beach")
    assert app({"type": "pain_rating", "session_id": "s1", "nrs": 0, "phase": "before"}).nrs == 0
    assert app({"type": "pain_rating", "session_id": "s1", "nrs": 10, "phase": "after"}).nrs == 10
    # msgpack encoders write 2.0 as 2: integers are accepted where floats are expected
    marker = app({"type": "marker", "label": "door-opened", "value": 2, "t_app": 12})
    assert isinstance(marker, Marker) and marker.value == 2.0 and marker.t_app == 12.0
    assert app({"type": "hello", "versions": [1, 2]}) == Hello(versions=[1, 2])


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    msg = app({"type": "pain_rating", "session_id": "s", "nrs": 4, "phase": "before", "added_in_1_1": True})
    assert msg == PainRating(session_id="s", nrs=4, phase="before")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ([1, 2], "bad_message"),
        ("hello", "bad_message"),
        ({"versions": [1]}, "bad_message"),  # no type
        ({"type": 7}, "bad_message"),
        ({"type": "teleport"}, "unknown_type"),
        ({"type": "welcome"}, "unknown_type"),  # an agent message is not an app message
        ({"type": "pain_rating", "session_id": "s", "nrs": "5", "phase": "before"}, "invalid_message"),
        ({"type": "pain_rating", "session_id": "s", "nrs": 11, "phase": "before"}, "invalid_message"),
        ({"type": "pain_rating", "session_id": "s", "nrs": -1, "phase": "before"}, "invalid_message"),
        ({"type": "pain_rating", "session_id": "s", "nrs": 5.0, "phase": "before"}, "invalid_message"),
        ({"type": "pain_rating", "session_id": "s", "nrs": True, "phase": "before"}, "invalid_message"),
        ({"type": "pain_rating", "session_id": "s", "nrs": 5, "phase": "during"}, "invalid_message"),
        ({"type": "pain_rating", "nrs": 5, "phase": "before"}, "invalid_message"),
        ({"type": "session_start", "session_id": "", "protocol_id": "p", "scene_id": "x"}, "invalid_message"),
        ({"type": "session_start", "session_id": "s" * 65, "protocol_id": "p", "scene_id": "x"}, "invalid_message"),
        ({"type": "session_end", "session_id": "s", "reason": "bored"}, "invalid_message"),
        ({"type": "marker", "label": "x", "value": float("nan")}, "invalid_message"),
        ({"type": "marker", "label": "x", "id": [1]}, "invalid_message"),
        ({"type": "hello", "versions": []}, "invalid_message"),
        ({"type": "hello", "versions": ["1"]}, "invalid_message"),
        ({"type": "heartbeat", "t": "now"}, "invalid_message"),
    ],
)
def test_rejections_carry_the_documented_code(value: Any, code: str) -> None:
    assert code_of(value) == code


def test_invalid_message_names_the_field() -> None:
    with pytest.raises(FrameError) as info:
        app({"type": "pain_rating", "session_id": "s", "nrs": 12, "phase": "before", "id": 9})
    assert "nrs" in info.value.detail and info.value.ref == "pain_rating"


def test_message_id_is_echoed_only_when_usable() -> None:
    assert message_id({"id": 5}) == 5
    assert message_id({"id": "abc"}) == "abc"
    assert message_id({"id": True}) is None
    assert message_id({"id": [1]}) is None
    assert message_id([1]) is None


def test_adaptation_wire_form_parses_back_to_the_same_values() -> None:
    a = adaptation(7, Level.DISTRESSED, ttl_s=2.5, reasons=("SCR rate x3", "alpha down"))
    wire = msgpack.unpackb(msgpack.packb(adaptation_to_wire(a)))
    msg = parse(wire, AGENT_MESSAGES)
    assert isinstance(msg, AdaptationMessage)
    assert (msg.seq, msg.t, msg.level, msg.distress, msg.confidence, msg.ttl_s) == (
        7,
        a.t,
        Level.DISTRESSED,
        0.625,
        0.75,
        2.5,
    )
    assert (msg.suggestions.intensity, msg.suggestions.pace, msg.suggestions.breathing_guide) == (
        0.5,
        Pace.SLOWER,
        True,
    )
    assert msg.reasons == ["SCR rate x3", "alpha down"]


def test_status_from_a_plain_mapping() -> None:
    status = Status.model_validate(
        {"sensors": [{"id": "chest", "modality": "rr", "state": "connected", "quality": 0.9}], "quality": "good"},
        strict=False,
    )
    wire = status.to_wire()
    assert wire["type"] == "status" and wire["sensors"][0]["id"] == "chest"
    assert wire["calibration"] == {"state": "needed", "progress": 0.0}


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12)),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["type", "nrs", "id", "x"]), inner, max_size=4)
        ),
        max_leaves=10,
    ),
    mtype=st.sampled_from([*APP_MESSAGES, "nope"]),
)
def test_any_decoded_value_parses_or_fails_with_a_protocol_code(value: Any, mtype: str) -> None:
    candidate = {**value, "type": mtype} if isinstance(value, dict) else value
    try:
        msg = app(candidate)
    except FrameError as exc:
        assert exc.code in {"bad_message", "unknown_type", "invalid_message"}
        assert not exc.fatal
    else:
        assert msg.type == candidate["type"]
