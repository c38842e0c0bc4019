"""Shimmer3 protocol and GSR conversion on the vectors of sensor-protocols.md §3."""

from __future__ import annotations

import numpy as np
import pytest

from agent.errors import ProtocolError
from drivers.shimmer import protocol as p
from drivers.shimmer.gsr import gsr_to_microsiemens, microsiemens_to_gsr


def test_set_sampling_rate_512hz() -> None:
    assert p.set_sampling_rate(512.0) == bytes.fromhex("05 40 00")


def test_rate_reply_512hz() -> None:
    reply = bytes.fromhex("FF 04 40 00")
    assert reply[0] == p.ACK and p.parse_sampling_rate(reply[1:]) == 512.0


def test_inquiry_reply() -> None:
    reply = bytes.fromhex("FF 02 40 00 01 FF 01 09 01 01 12")
    assert reply[0] == p.ACK and p.inquiry_length(reply[1:9]) == len(reply) - 1
    inq = p.parse_inquiry(reply[1:])
    assert inq.rate_hz == 512.0 and inq.buffer_size == 1 and inq.channels == (0x12,)
    assert inq.config == bytes.fromhex("01 FF 01 09") and inq.packet_size == 6


def test_data_packet() -> None:
    inq = p.parse_inquiry(bytes.fromhex("02 40 00 01 FF 01 09 01 01 12"))
    packet = bytes.fromhex("00 DE D0 B2 26 07")
    dec = p.StreamDecoder(inq)
    assert dec.ticks([packet]).tolist() == [0xB2D0DE]
    assert dec.values([packet], 0x12).tolist() == [0x0726]
    # In a stream, the decoder takes it once the next packet, one period later, confirms the step.
    follower = b"\x00" + (0xB2D0DE + 64).to_bytes(3, "little") + b"\x27\x07"
    packets, _ = dec.feed(packet + follower + b"\x00")
    assert packets == [packet, follower]


def test_sensor_bits() -> None:
    assert p.set_sensors(p.SENSOR_GSR) == bytes.fromhex("08 04 00 00")
    assert p.set_sensors(p.SENSOR_GSR | p.SENSOR_INT_A13) == bytes.fromhex("08 04 01 00")


def test_in_stream_battery_and_status() -> None:
    inq = p.parse_inquiry(bytes.fromhex("02 00 01 04 01 01 09 01 01 1C"))
    dec = p.StreamDecoder(inq)
    _, events = dec.feed(bytes.fromhex("FF 8A 94 5A 0A 01 8A 71 25"))
    assert [e.kind for e in events] == ["ack", "battery", "status"]
    assert p.battery_volts(events[1].data[0], events[1].data[1]) == pytest.approx(0x0A5A * 3.0 / 4095 * 1.988)
    assert events[2].data == b"\x25"


def test_bad_inquiries_are_protocol_errors() -> None:
    for body in ("02 40 00 01 FF 01 09 02 01 12", "03 40 00 01 FF 01 09 01 01 12", "02 40 00 01 FF 01 09 01 01 77"):
        with pytest.raises(ProtocolError):
            p.parse_inquiry(bytes.fromhex(body))


def test_gsr_example_from_the_facts_sheet() -> None:
    # raw 0x0800 -> range 0, ADC 2048 -> 20.09 kOhm -> 49.8 uS
    for setting in (0, 4):
        us, is_open = gsr_to_microsiemens([0x0800], setting)
        assert 1000 / us[0] == pytest.approx(20.09, abs=0.005) and round(float(us[0]), 1) == 49.8
        assert not is_open[0]


def test_open_circuit_on_range_3_is_clamped_and_flagged() -> None:
    us, is_open = gsr_to_microsiemens([(3 << 14) | 300, (3 << 14) | 683], 4)
    assert is_open.tolist() == [True, False]
    assert us[0] == us[1] == pytest.approx(1000 / 4700)  # 683 -> ~4.5 GOhm, clamped to the 4.7 MOhm ceiling


def test_fixed_range_clamps_to_its_limits() -> None:
    # On range 1 (287 kOhm feedback), ADC 4095 reads 57.4 kOhm and ADC 1000 reads 617 kOhm:
    # both outside 63-220 kOhm, so both are clamped to the range's ends.
    us, _ = gsr_to_microsiemens([(1 << 14) | 4095, (1 << 14) | 1000], 1)
    assert 1000 / us[0] == pytest.approx(63.0) and 1000 / us[1] == pytest.approx(220.0)


def test_emulator_encoding_picks_the_auto_range() -> None:
    raw = microsiemens_to_gsr(np.array([100.0, 10.0, 2.0, 0.5]))
    assert ((raw >> 14) & 3).tolist() == [0, 1, 2, 3]
