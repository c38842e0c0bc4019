"""Heart Rate Service codec: every vector of sensor-protocols.md §1, and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import ProtocolError
from drivers.ble.hrs import (
    BodySensorLocation,
    Contact,
    HeartRateMeasurement,
    decode_battery_level,
    decode_body_sensor_location,
    decode_heart_rate,
    encode_heart_rate,
)


@pytest.mark.parametrize(
    ("hex_bytes", "hr", "contact", "energy", "rr_raw"),
    [
        ("16 48 54 01 EC 02", 72, Contact.DETECTED, None, (340, 748)),
        ("1E 55 32 00 21 00", 85, Contact.DETECTED, 50, (33,)),
        ("1F 01 01 32 01 01 00 02 01 FF FF", 257, Contact.DETECTED, 306, (1, 258, 65535)),
        ("04 FF", 255, Contact.NOT_DETECTED, None, ()),
        ("02 3C", 60, Contact.UNSUPPORTED, None, ()),  # "detected" without "supported" means nothing
    ],
)
def test_golden_vectors(hex_bytes: str, hr: int, contact: Contact, energy: int | None, rr_raw: tuple[int, ...]) -> None:
    m = decode_heart_rate(bytes.fromhex(hex_bytes))
    assert (m.heart_rate, m.contact, m.energy_kj, m.rr_raw) == (hr, contact, energy, rr_raw)


def test_rr_units_are_1024ths_oldest_first() -> None:
    m = decode_heart_rate(bytes.fromhex("16 48 54 01 EC 02"))
    assert m.rr_s == (0.33203125, 0.73046875)


@pytest.mark.parametrize(
    "hex_bytes",
    [
        "17 01 01",  # the vector: RR flag set, no RR bytes follow
        "",  # nothing at all
        "01 48",  # uint16 heart rate cut short
        "08 48 01",  # energy flag, one byte of energy
        "10 48 54 01 EC",  # RR flag, odd number of RR bytes
        "00 48 00",  # no RR flag, trailing byte
    ],
)
def test_malformed_is_a_protocol_error(hex_bytes: str) -> None:
    with pytest.raises(ProtocolError):
        decode_heart_rate(bytes.fromhex(hex_bytes))


def test_body_sensor_location_and_battery() -> None:
    assert decode_body_sensor_location(b"\x01") is BodySensorLocation.CHEST
    assert decode_body_sensor_location(b"\x06") is BodySensorLocation.FOOT
    assert decode_battery_level(b"\x57") == 87
    for bad in (b"", b"\x07", b"\x01\x01"):
        with pytest.raises(ProtocolError):
            decode_body_sensor_location(bad)
    for bad in (b"", b"\x65", b"\x10\x10"):
        with pytest.raises(ProtocolError):
            decode_battery_level(bad)


@st.composite
def measurements(draw: st.DrawFn) -> HeartRateMeasurement:
    uint16 = draw(st.booleans())
    rr = tuple(draw(st.lists(st.integers(0, 0xFFFF), max_size=9)))
    return HeartRateMeasurement(
        heart_rate=draw(st.integers(0, 0xFFFF if uint16 else 0xFF)),
        contact=draw(st.sampled_from(Contact)),
        energy_kj=draw(st.none() | st.integers(0, 0xFFFF)),
        rr_raw=rr,
        hr_uint16=uint16,
        rr_present=bool(rr),
    )


@given(measurements())
def test_encode_then_decode_round_trips(m: HeartRateMeasurement) -> None:
    assert decode_heart_rate(encode_heart_rate(m)) == m


@given(st.binary(max_size=40))
def test_arbitrary_bytes_decode_or_raise_protocol_error_only(data: bytes) -> None:
    try:
        m = decode_heart_rate(data)
    except ProtocolError:
        return
    # Whatever decodes follows the field layout: its canonical encoding decodes the same.
    assert decode_heart_rate(encode_heart_rate(m)) == m
    expected_len = 1 + (2 if m.hr_uint16 else 1) + (2 if m.energy_kj is not None else 0) + 2 * len(m.rr_raw)
    assert len(data) == expected_len
    assert m.rr_present == bool(data[0] & 0x10)
