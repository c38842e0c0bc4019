"""The Python codec on the same golden vectors the C tests read."""

from __future__ import annotations

import numpy as np
import pytest

from agent.errors import ProtocolError
from drivers.bridge import messages as m
from drivers.bridge.framing import CobsFrameDecoder, FrameRejected, cobs_decode, cobs_encode, crc16, parse_frame

from .conftest import Vector, vectors


def message_from(d: dict) -> m.Message:
    kind = d["kind"]
    if kind == "hello":
        chans = tuple(m.ChannelInfo(*c) for c in d["channels"])
        return m.Hello(d["device_id"], d["firmware"], d["tick_hz"], d["rate_mhz"], d["batch"], chans)
    if kind == "samples":
        return m.Samples(d["seq"], d["tick"], np.array(d["dt"]), np.array(d["values"], dtype=np.int32))
    if kind == "ack":
        return m.Ack(d["token"], d["command"])
    if kind == "error":
        return m.Error(d["token"], d["code"], d["detail"], d["message"])
    return m.Command(d["type"], d["token"], d.get("rate_mhz"))


def ids(vs: list[Vector]) -> list[str]:
    return [v.fields.get("name", v.fields.get("data", "")[:16]) for v in vs]


@pytest.mark.parametrize("v", vectors("crc"), ids=ids(vectors("crc")))
def test_crc(v: Vector) -> None:
    assert crc16(v.hex("data")) == int(v.fields["crc"], 16)


@pytest.mark.parametrize("v", vectors("cobs"))
def test_cobs(v: Vector) -> None:
    assert cobs_encode(v.hex("decoded")) == v.hex("encoded")
    assert cobs_decode(v.hex("encoded")) == v.hex("decoded")


@pytest.mark.parametrize("v", vectors("frame"), ids=ids(vectors("frame")))
def test_frame_decodes_and_encodes(v: Vector) -> None:
    expected = message_from(v.msg)
    decoder = CobsFrameDecoder()
    frames = decoder.feed(v.hex("wire"))
    assert len(frames) == 1 and decoder.rejected_total == 0
    assert frames[0].type == int(v.fields["type"], 16) and frames[0].payload == v.hex("payload")
    assert m.decode(frames[0]) == expected
    assert m.encode(expected) == v.hex("wire")


@pytest.mark.parametrize("v", vectors("reject"), ids=ids(vectors("reject")))
def test_rejects(v: Vector) -> None:
    decoder = CobsFrameDecoder()
    assert decoder.feed(v.hex("wire")) == []
    assert dict(decoder.rejected) == {v.fields["reason"]: 1}
    assert isinstance(decoder.last_error, ProtocolError)


@pytest.mark.parametrize("v", vectors("stream"), ids=ids(vectors("stream")))
def test_stream_with_noise(v: Vector) -> None:
    decoder = CobsFrameDecoder()
    frames = decoder.feed(v.hex("bytes"))
    assert [f"{f.type:02x}" for f in frames] == v.fields["frames"].split(",")
    reasons = {k: int(n) for k, n in v.fields.items() if k not in ("name", "bytes", "frames")}
    assert dict(decoder.rejected) == reasons


def test_check_value_is_the_catalogue_one() -> None:
    # CRC-16/CCITT-FALSE's published check value, independent of the vectors file.
    assert crc16(b"123456789") == 0x29B1


def test_payloads_that_do_not_fit_their_type_are_protocol_errors() -> None:
    good = parse_frame(m.encode(m.Ack(1, 2))[1:-1])
    for payload in (b"", b"\x01", b"\x01\x02\x03"):
        with pytest.raises(ProtocolError):
            m.decode(type(good)(1, m.ACK, payload))
    with pytest.raises(ProtocolError, match="do not split"):
        m.decode(type(good)(1, m.SAMPLES, bytes(9) + b"\x00"))  # n = 0
    with pytest.raises(ProtocolError, match="do not split"):
        m.decode(type(good)(1, m.SAMPLES, bytes(8) + b"\x02" + bytes(11)))  # 2 samples in 11 bytes
    with pytest.raises(ProtocolError, match="unknown frame type"):
        m.decode(type(good)(1, 0x7E, b""))
    with pytest.raises(FrameRejected):
        parse_frame(b"\x05\x01")
