"""PMD codec: every vector of sensor-protocols.md §2, and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import ProtocolError
from drivers.ble import pmd
from drivers.ble.pmd import Measurement, Op, Setting, Status


def h(s: str) -> bytes:
    return bytes.fromhex(s)


def test_features_of_an_h10() -> None:
    assert pmd.decode_features(h("0F 05")) == {Measurement.ECG, Measurement.ACC}
    assert pmd.decode_features(h("0F 05 00")) == {Measurement.ECG, Measurement.ACC}


def test_get_ecg_settings_command_and_reply() -> None:
    assert pmd.get_settings(Measurement.ECG) == h("01 00")
    r = pmd.decode_response(h("F0 01 00 00 00 00 01 82 00 01 01 0E 00"))
    assert (r.op, r.measurement, r.status, r.more) == (Op.GET_SETTINGS, Measurement.ECG, Status.OK, False)
    assert r.settings() == {Setting.SAMPLE_RATE: (130,), Setting.RESOLUTION: (14,)}


def test_start_ecg_and_its_reply() -> None:
    cmd = pmd.start(Measurement.ECG, {Setting.SAMPLE_RATE: (130,), Setting.RESOLUTION: (14,)})
    assert cmd == h("02 00 00 01 82 00 01 01 0E 00")
    r = pmd.decode_response(h("F0 02 00 00 00 00"))
    assert (r.op, r.measurement, r.ok) == (Op.START, Measurement.ECG, True)


def test_start_acc() -> None:
    cmd = pmd.start(Measurement.ACC, {Setting.SAMPLE_RATE: (200,), Setting.RESOLUTION: (16,), Setting.RANGE: (8,)})
    assert cmd == h("02 02 00 01 C8 00 01 01 10 00 02 01 08 00")
    assert pmd.decode_command(cmd) == pmd.Command(
        Op.START, Measurement.ACC, {Setting.SAMPLE_RATE: (200,), Setting.RESOLUTION: (16,), Setting.RANGE: (8,)}
    )


def test_stop_and_type_mask() -> None:
    assert pmd.stop(Measurement.ECG) == h("03 00")
    assert pmd.decode_command(h("03 42")).measurement == Measurement.ACC  # 0x42 & 0x3F


@pytest.mark.parametrize(
    ("status", "name"),
    [(10, "invalid_mtu"), (5, "invalid_parameter"), (6, "already_in_state"), (13, "device_in_charger")],
)
def test_error_statuses(status: int, name: str) -> None:
    r = pmd.decode_response(bytes([0xF0, 2, 0, status]))  # error replies may omit "more"
    assert not r.ok and r.status_name == name


def test_ecg_frame_vector() -> None:
    f = pmd.decode_frame(h("00 00 94 35 77 00 00 00 00 00 02 80 FF 02 80 00"))
    assert f.measurement == Measurement.ECG and f.frame_type == 0
    assert f.timestamp_ns == 2_000_000_000
    assert f.samples[:, 0].tolist() == [-32766, 32770]


def test_acc_frame_16_bit() -> None:
    raw = pmd.encode_frame(Measurement.ACC, 5, 1, np.array([[1, -2, 1000], [-32768, 32767, 0]]))
    assert raw[:10] == h("02 05 00 00 00 00 00 00 00 01")
    f = pmd.decode_frame(raw)
    assert f.samples.tolist() == [[1, -2, 1000], [-32768, 32767, 0]]


@pytest.mark.parametrize(
    "hex_bytes",
    [
        "00 00 94 35 77 00 00 00",  # shorter than the header
        "00 00 94 35 77 00 00 00 00 00",  # no samples
        "00 00 94 35 77 00 00 00 00 00 02 80",  # a partial ECG sample
        "00 00 94 35 77 00 00 00 00 80 02 80 FF",  # delta-compressed frame
        "01 00 94 35 77 00 00 00 00 00 02 80 FF",  # PPG: not an H10 measurement
        "02 00 94 35 77 00 00 00 00 01 01 00 02 00",  # ACC frame with 2 of 3 axes
    ],
)
def test_malformed_frames(hex_bytes: str) -> None:
    with pytest.raises(ProtocolError):
        pmd.decode_frame(h(hex_bytes))


@pytest.mark.parametrize(
    ("decode", "hex_bytes"),
    [
        (pmd.decode_features, ""),
        (pmd.decode_features, "0F"),  # no mask
        (pmd.decode_features, "05 00"),  # not a features reply
        (pmd.decode_response, "F0 02"),  # no type and status
        (pmd.decode_response, "0F 05 00 00"),  # not a response
        (pmd.decode_command, "01"),  # no measurement type
        (pmd.decode_command, "09 00"),  # unknown op
        (pmd.decode_command, "02 00 09 01 00 00"),  # unknown setting type
        (pmd.decode_command, "02 00 00 02 82 00"),  # two rates announced, one given
        (pmd.decode_command, "02 00 00 00"),  # a setting with no values
        (pmd.decode_settings, "00 01 82 00 00 01 82 00"),  # the same setting twice
    ],
)
def test_malformed_control_point_bytes(decode: object, hex_bytes: str) -> None:
    with pytest.raises(ProtocolError):
        decode(h(hex_bytes))  # type: ignore[operator]


settings_st = st.dictionaries(
    st.sampled_from([Setting.SAMPLE_RATE, Setting.RESOLUTION, Setting.RANGE, Setting.CHANNELS]),
    st.lists(st.integers(0, 255), min_size=1, max_size=4).map(tuple),
    max_size=4,
)


@given(st.sampled_from(Op), st.integers(0, 0x3F), settings_st)
def test_commands_round_trip(op: Op, m: int, settings: pmd.Settings) -> None:
    cmd = pmd.Command(op, m, settings)
    assert pmd.decode_command(cmd.encode()) == cmd


@given(st.integers(0, 255), st.integers(0, 0x3F), st.integers(0, 13), st.booleans(), st.binary(max_size=20))
def test_responses_round_trip(op: int, m: int, status: int, more: bool, params: bytes) -> None:
    r = pmd.Response(op, m, status, more, params)
    assert pmd.decode_response(r.encode()) == r


@given(st.frozensets(st.integers(0, 15)))
def test_features_round_trip(types: frozenset[int]) -> None:
    assert pmd.decode_features(pmd.encode_features(types, width=2)) == types


@st.composite
def frames(draw: st.DrawFn) -> tuple[int, int, int, np.ndarray]:
    m = draw(st.sampled_from([Measurement.ECG, Measurement.ACC]))
    frame_type = 0 if m == Measurement.ECG else draw(st.sampled_from([0, 1, 2]))
    width = 3 if m == Measurement.ECG else frame_type + 1
    lim = 1 << (8 * width - 1)
    channels = 1 if m == Measurement.ECG else 3
    n = draw(st.integers(1, 80))
    values = draw(st.lists(st.integers(-lim, lim - 1), min_size=n * channels, max_size=n * channels))
    return m, draw(st.integers(0, 2**64 - 1)), frame_type, np.array(values).reshape(n, channels)


@given(frames())
def test_frames_round_trip(frame: tuple[int, int, int, np.ndarray]) -> None:
    m, ts, frame_type, samples = frame
    f = pmd.decode_frame(pmd.encode_frame(m, ts, frame_type, samples))
    assert (f.measurement, f.timestamp_ns, f.frame_type) == (m, ts, frame_type)
    np.testing.assert_array_equal(f.samples, samples)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_protocol_error(data: bytes) -> None:
    for decode in (pmd.decode_frame, pmd.decode_response, pmd.decode_command, pmd.decode_features, pmd.decode_settings):
        try:
            decode(data)
        except ProtocolError:
            pass


@given(st.binary(min_size=10, max_size=300))
def test_decoded_frames_account_for_every_byte(data: bytes) -> None:
    try:
        f = pmd.decode_frame(data)
    except ProtocolError:
        return
    width = 3 if f.measurement == Measurement.ECG else f.frame_type + 1
    assert len(data) == 10 + f.samples.size * width
    assert f.timestamp_ns == int.from_bytes(data[1:9], "little")
