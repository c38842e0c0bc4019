"""The frame codec: golden vectors (also printed in docs/vr-protocol.md) and property tests."""

from __future__ import annotations

import itertools
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.outputs.vrlink.frames import FrameDecoder, FrameError, encode_frame

# Written out by hand from the msgpack spec, not produced by the code under test.
HEARTBEAT = {"type": "heartbeat", "t": 1.5}
HEARTBEAT_FRAME = bytes.fromhex(
    "0000001b"  # length 27
    "82"  # map of 2
    "a474797065"  # "type"
    "a9686561727462656174"  # "heartbeat"
    "a174"  # "t"
    "cb3ff8000000000000"  # float64 1.5
)
HELLO = {"type": "hello", "versions": [1], "client": "demo", "capabilities": ["adaptation"]}
HELLO_FRAME = bytes.fromhex(
    "0000003c"  # length 60
    "84"  # map of 4
    "a474797065"  # "type"
    "a568656c6c6f"  # "hello"
    "a876657273696f6e73"  # "versions"
    "9101"  # [1]
    "a6636c69656e74"  # "client"
    "a464656d6f"  # "demo"
    "ac6361706162696c6974696573"  # "capabilities"
    "91aa61646170746174696f6e"  # ["adaptation"]
)
MAX = 1024


def test_golden_vectors_encode() -> None:
    assert encode_frame(HEARTBEAT) == HEARTBEAT_FRAME
    assert encode_frame(HELLO) == HELLO_FRAME


def test_golden_vectors_decode_byte_by_byte() -> None:
    decoder = FrameDecoder(MAX)
    out: list[Any] = []
    for b in HELLO_FRAME + HEARTBEAT_FRAME:
        out += decoder.feed(bytes([b]))
    assert out == [HELLO, HEARTBEAT]
    assert decoder.buffered == 0


def test_oversized_length_is_fatal_before_the_payload_arrives() -> None:
    decoder = FrameDecoder(MAX)
    (err,) = decoder.feed((MAX + 1).to_bytes(4, "big"))
    assert isinstance(err, FrameError) and err.code == "frame_too_large" and err.fatal
    assert decoder.failed
    assert decoder.feed(HEARTBEAT_FRAME) == []  # the stream is out of step: nothing more is trusted


def test_frame_at_the_limit_is_accepted() -> None:
    payload = msgpack.packb("x" * (MAX - 3))  # str 16: 3 header bytes
    assert len(payload) == MAX
    assert FrameDecoder(MAX).feed(len(payload).to_bytes(4, "big") + payload) == ["x" * (MAX - 3)]


def test_bad_payloads_are_skipped_and_the_stream_stays_in_step() -> None:
    bad = [
        b"",  # empty frame
        b"\xc1",  # the one byte msgpack never uses
        b"\x92\x01",  # array of 2 with one element: truncated
        b"\x01\x02",  # two values in one frame
        b"\xa2\xff\xfe",  # str with invalid UTF-8
        b"\x81\x01\x02",  # map with an integer key
        b"\xdd\xff\xff\xff\xff",  # an array that claims 4 billion elements
        b"\x91" * 4000 + b"\x01",  # nesting deeper than the unpacker's stack
    ]
    stream = b"".join(len(p).to_bytes(4, "big") + p for p in bad) + HEARTBEAT_FRAME
    out = FrameDecoder(8192).feed(stream)
    assert [getattr(x, "code", None) for x in out[:-1]] == ["bad_frame"] * len(bad)
    assert all(not x.fatal for x in out[:-1])
    assert out[-1] == HEARTBEAT


def test_encode_refuses_a_frame_over_the_limit() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame({"type": "status", "blob": "x" * MAX}, MAX)


# -- properties ------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
messages = st.dictionaries(st.text(max_size=10), values, max_size=6)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def feed_pieces(pieces: list[bytes]) -> list[Any]:
    decoder = FrameDecoder(MAX * 64)
    out: list[Any] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out


def comparable(items: list[Any]) -> list[Any]:
    # Values compared by their encoding, so a NaN decoded from garbage equals itself.
    return [("error", x.code, x.fatal) if isinstance(x, FrameError) else ("value", msgpack.packb(x)) for x in items]


@settings(max_examples=150, deadline=None)
@given(msgs=st.lists(messages, max_size=8), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_round_trip_however_the_stream_is_split(msgs: list[dict[str, Any]], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(m, MAX * 64) for m in msgs)
    assert feed_pieces(split(stream, cuts)) == msgs


def reference(data: bytes, max_frame: int) -> list[Any]:
    """The framing rule of docs/vr-protocol.md, applied to a whole buffer at once."""
    out: list[Any] = []
    pos = 0
    while len(data) - pos >= 4:
        n = int.from_bytes(data[pos : pos + 4], "big")
        if n > max_frame:
            return [*out, ("error", "frame_too_large", True)]
        if len(data) - pos - 4 < n:
            break
        payload, pos = data[pos + 4 : pos + 4 + n], pos + 4 + n
        try:
            if not payload:
                raise ValueError("empty")
            out.append(("value", msgpack.packb(msgpack.unpackb(payload, raw=False))))
        except Exception:  # noqa: BLE001 - the rule: anything msgpack rejects is a bad frame
            out.append(("error", "bad_frame", False))
    return out


def framed(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


junk = st.one_of(
    st.binary(max_size=64),  # raw garbage, lengths and all
    st.binary(max_size=64).map(framed),  # a correct length around a garbage payload
    messages.map(lambda m: encode_frame(m, MAX * 64)),  # a good frame
    st.integers(min_value=MAX * 64 + 1, max_value=2**32 - 1).map(lambda n: n.to_bytes(4, "big")),  # oversized
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(junk, max_size=8), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_arbitrary_bytes_follow_the_framing_rule_and_never_raise(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    out = feed_pieces(split(stream, cuts))
    assert comparable(out) == reference(stream, MAX * 64)
