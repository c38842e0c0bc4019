"""Hypothesis properties of the framing: round trips, any chunking, noise costs only what it touches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.bridge import messages as m
from drivers.bridge.framing import MAX_PAYLOAD, CobsFrameDecoder, cobs_decode, cobs_encode, encode_frame

u32 = st.integers(0, 2**32 - 1)
i32 = st.integers(-(2**31), 2**31 - 1)
text = st.text(st.characters(codec="utf-8"), max_size=12)


@st.composite
def samples(draw: st.DrawFn) -> m.Samples:
    n_ch = draw(st.integers(1, 3))
    n = draw(st.integers(1, 16))
    dt = np.sort(np.array(draw(st.lists(st.integers(0, 65535), min_size=n, max_size=n))))
    raw = np.array(draw(st.lists(st.lists(i32, min_size=n_ch, max_size=n_ch), min_size=n, max_size=n)), dtype=np.int32)
    return m.Samples(draw(u32), draw(u32), dt, raw)


def fits(msg: m.Message) -> bool:
    """One frame holds it: ten texts of 12 characters can take up to 480 bytes of UTF-8, the wire 250."""
    return len(m.encode_payload(msg)[1]) <= MAX_PAYLOAD


messages = st.one_of(
    samples(),
    st.builds(m.Ack, st.integers(0, 255), st.integers(0, 255)),
    st.builds(m.Error, st.integers(0, 255), st.integers(1, 7), u32, text),
    st.builds(
        m.Hello,
        text,
        text,
        st.integers(1, 2**32 - 1),
        st.integers(1, 2**32 - 1),
        st.integers(0, 255),
        st.lists(
            st.builds(m.ChannelInfo, text, text, st.integers(m.EXPONENT_MIN, m.EXPONENT_MAX)), min_size=1, max_size=4
        ).map(tuple),
    ),
    st.builds(m.Command, st.sampled_from([m.CMD_GET_HELLO, m.CMD_START, m.CMD_STOP]), st.integers(0, 255)),
    st.builds(m.Command, st.just(m.CMD_SET_RATE), st.integers(0, 255), u32),
).filter(fits)


@given(st.binary(max_size=600))
def test_cobs_round_trip_has_no_zeros(data: bytes) -> None:
    enc = cobs_encode(data)
    assert b"\x00" not in enc
    assert cobs_decode(enc) == data


@given(messages)
def test_message_round_trip(msg: m.Message) -> None:
    frames = CobsFrameDecoder().feed(m.encode(msg))
    assert len(frames) == 1
    assert m.decode(frames[0]) == msg


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.binary(max_size=2000), st.lists(st.integers(0, 10_000), max_size=30))
def test_arbitrary_bytes_never_raise_and_chunking_does_not_matter(data: bytes, cuts: list[int]) -> None:
    whole = CobsFrameDecoder()
    expected = whole.feed(data)
    pieces = CobsFrameDecoder()
    got = [f for part in split(data, cuts) for f in pieces.feed(part)]
    assert got == expected
    assert pieces.rejected == whole.rejected


@given(
    st.lists(messages, min_size=1, max_size=12), st.binary(max_size=40), st.lists(st.integers(0, 10_000), max_size=20)
)
def test_frames_between_garbage_decode_the_same_however_split(
    msgs: list[m.Message], garbage: bytes, cuts: list[int]
) -> None:
    stream = garbage + b"".join(m.encode(x) + garbage for x in msgs)
    decoder = CobsFrameDecoder()
    got = [m.decode(f) for part in split(stream, cuts) for f in decoder.feed(part)]
    # Garbage is fenced off by the delimiters around every frame: it costs no frame.
    assert got == msgs


@settings(derandomize=True, max_examples=300)  # fixed examples: a CRC-16 collision cannot make this flaky
@given(st.lists(messages, min_size=2, max_size=10), st.data())
def test_noise_loses_exactly_the_frames_it_touched(msgs: list[m.Message], data: st.DataObject) -> None:
    wires = [m.encode(x) for x in msgs]
    touched = data.draw(st.sets(st.integers(0, len(msgs) - 1), max_size=len(msgs)))
    noisy = []
    for i, w in enumerate(wires):
        if i in touched:
            w = bytearray(w)
            at = data.draw(st.integers(1, len(w) - 2))  # inside the frame, not its delimiters
            w[at] = data.draw(st.integers(0, 255).filter(lambda b, old=w[at]: b != old))
            w = bytes(w)
        noisy.append(w)
    decoder = CobsFrameDecoder()
    got = [m.decode(f) for f in decoder.feed(b"".join(noisy))]
    assert got == [x for i, x in enumerate(msgs) if i not in touched]
    assert decoder.rejected_total >= len(touched)


def test_a_message_too_long_for_one_frame_is_refused_not_cut() -> None:
    wide = m.ChannelInfo("\U0001f600" * 12, "\U0001f600" * 12, 0)  # 96 bytes of UTF-8 per channel
    hello = m.Hello("bridge", "1.0", 1, 1, 0, (wide, wide, wide))
    with pytest.raises(ValueError, match=f"exceeds {MAX_PAYLOAD}"):
        m.encode(hello)


@given(st.binary(min_size=MAX_PAYLOAD + 1, max_size=MAX_PAYLOAD + 40))
def test_oversized_payload_is_refused(payload: bytes) -> None:
    try:
        encode_frame(m.ACK, payload)
    except ValueError:
        return
    raise AssertionError("an oversized payload was framed")
