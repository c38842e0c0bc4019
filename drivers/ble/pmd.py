"""Polar Measurement Data (PMD) codecs: control point and data frames.

Pure functions over bytes (polar-ble-sdk ``gatt/client/pmd``;
sensor-protocols.md §2). Decoders raise only
:class:`~agent.errors.ProtocolError`; encoders exist for the simulator side
and for round-trip tests.

Control point commands are ``op, type[, settings]``; replies arrive as
indications ``F0, op, type, status, more, params…``. A data frame is
``type, uint64 LE ns-since-2000 of the LAST sample, frame type, samples``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from agent.plugin import ProtocolError

NS_2000_TO_UNIX = 946_684_800_000_000_000  # add to sensor ns to get Unix-epoch ns
TYPE_MASK = 0x3F  # the top bits of the type byte are flags on newer firmware
CP_RESPONSE = 0xF0
FEATURES_REPLY = 0x0F
COMPRESSED_FRAME = 0x80


class Measurement(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6


class Op(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3


class Status(enum.IntEnum):
    OK = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13


class Setting(enum.IntEnum):
    SAMPLE_RATE = 0  # Hz
    RESOLUTION = 1  # bits
    RANGE = 2  # g for ACC
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


_SETTING_SIZE = {
    Setting.SAMPLE_RATE: 2,
    Setting.RESOLUTION: 2,
    Setting.RANGE: 2,
    Setting.RANGE_MILLIUNIT: 4,
    Setting.CHANNELS: 1,
    Setting.FACTOR: 4,
}

Settings = dict[Setting, tuple[int, ...]]
"""Each setting's values: the choices in a GET reply, exactly one in a START."""


# -- features -------------------------------------------------------------


def decode_features(data: bytes | bytearray) -> frozenset[int]:
    """The measurement types a sensor offers, from a control-point read (``0F <mask>…``)."""
    b = bytes(data)
    if len(b) < 2 or b[0] != FEATURES_REPLY:
        raise ProtocolError(f"PMD features: expected 0F followed by a mask, got {b.hex(' ') or 'nothing'}")
    mask = int.from_bytes(b[1:], "little")
    return frozenset(bit for bit in range(8 * (len(b) - 1)) if mask >> bit & 1)


def encode_features(types: frozenset[int] | set[int], width: int = 1) -> bytes:
    mask = sum(1 << t for t in types)
    return bytes([FEATURES_REPLY]) + mask.to_bytes(width, "little")


# -- settings -------------------------------------------------------------


def decode_settings(data: bytes | bytearray) -> Settings:
    b = bytes(data)
    out: Settings = {}
    pos = 0
    while pos < len(b):
        if pos + 2 > len(b):
            raise ProtocolError(f"PMD settings: truncated header at byte {pos}")
        try:
            kind = Setting(b[pos])
        except ValueError:
            raise ProtocolError(f"PMD settings: unknown setting type {b[pos]}") from None
        count, size = b[pos + 1], _SETTING_SIZE[kind]
        pos += 2
        end = pos + count * size
        if count == 0 or end > len(b):
            raise ProtocolError(f"PMD settings: {kind.name} needs {count} values of {size} bytes")
        if kind in out:
            raise ProtocolError(f"PMD settings: {kind.name} given twice")
        out[kind] = tuple(int.from_bytes(b[i : i + size], "little") for i in range(pos, end, size))
        pos = end
    return out


def encode_settings(settings: Settings) -> bytes:
    out = bytearray()
    for kind, values in settings.items():
        size = _SETTING_SIZE[kind]
        out += bytes([kind, len(values)])
        for v in values:
            out += int(v).to_bytes(size, "little")
    return bytes(out)


# -- control point ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    op: Op
    measurement: int
    settings: Settings = field(default_factory=dict)

    def encode(self) -> bytes:
        return bytes([self.op, self.measurement]) + encode_settings(self.settings)


def get_settings(measurement: int) -> bytes:
    return Command(Op.GET_SETTINGS, measurement).encode()


def start(measurement: int, settings: Settings) -> bytes:
    return Command(Op.START, measurement, settings).encode()


def stop(measurement: int) -> bytes:
    return Command(Op.STOP, measurement).encode()


def decode_command(data: bytes | bytearray) -> Command:
    b = bytes(data)
    if len(b) < 2:
        raise ProtocolError(f"PMD command: expected op and type, got {b.hex(' ') or 'nothing'}")
    try:
        op = Op(b[0])
    except ValueError:
        raise ProtocolError(f"PMD command: unknown op {b[0]:#04x}") from None
    return Command(op, b[1] & TYPE_MASK, decode_settings(b[2:]))


@dataclass(frozen=True, slots=True)
class Response:
    """A control-point indication answering one command."""

    op: int
    measurement: int
    status: int
    more: bool = False
    params: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def status_name(self) -> str:
        try:
            return Status(self.status).name.lower()
        except ValueError:
            return f"status {self.status}"

    def settings(self) -> Settings:
        return decode_settings(self.params)

    def encode(self) -> bytes:
        return bytes([CP_RESPONSE, self.op, self.measurement, self.status, int(self.more)]) + self.params


def decode_response(data: bytes | bytearray) -> Response:
    b = bytes(data)
    if len(b) < 4 or b[0] != CP_RESPONSE:
        raise ProtocolError(f"PMD response: expected F0 op type status…, got {b.hex(' ') or 'nothing'}")
    # The "more" byte is absent from some error replies.
    more = len(b) > 4 and b[4] != 0
    return Response(b[1], b[2] & TYPE_MASK, b[3], more, b[5:])


# -- data frames -----------------------------------------------------------

ECG_FRAME = 0  # 3-byte signed LE µV
_ACC_SAMPLE_BYTES = {0: 1, 1: 2, 2: 3}  # ACC frame type -> bytes per axis


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded data frame: ``samples`` is int32 (n, channels), oldest first."""

    measurement: int
    timestamp_ns: int  # sensor time of the last sample, ns since 2000-01-01 (sensor clock)
    frame_type: int
    samples: np.ndarray

    def __len__(self) -> int:
        return int(self.samples.shape[0])


def _signed_le(raw: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 little-endian two's complement -> int32."""
    v = np.zeros(raw.shape[0], dtype=np.int32)
    for i in range(width):
        v |= raw[:, i].astype(np.int32) << (8 * i)
    sign = 1 << (8 * width - 1)
    return (v ^ sign) - sign


def decode_frame(data: bytes | bytearray) -> Frame:
    b = bytes(data)
    if len(b) < 10:
        raise ProtocolError(f"PMD frame: {len(b)} bytes, shorter than its 10-byte header")
    measurement = b[0] & TYPE_MASK
    timestamp = int.from_bytes(b[1:9], "little")
    frame_type = b[9]
    body = np.frombuffer(b, dtype=np.uint8, offset=10)
    if frame_type & COMPRESSED_FRAME:
        raise ProtocolError(f"PMD frame: delta-compressed frame type {frame_type:#04x} is not supported")
    if measurement == Measurement.ECG and frame_type == ECG_FRAME:
        width, channels = 3, 1
    elif measurement == Measurement.ACC and frame_type in _ACC_SAMPLE_BYTES:
        width, channels = _ACC_SAMPLE_BYTES[frame_type], 3
    else:
        raise ProtocolError(f"PMD frame: unsupported measurement {measurement} frame type {frame_type}")
    step = width * channels
    if body.size == 0 or body.size % step:
        raise ProtocolError(f"PMD frame: {body.size} sample bytes, not a whole number of {step}-byte samples")
    values = _signed_le(body.reshape(-1, width), width).reshape(-1, channels)
    return Frame(measurement, timestamp, frame_type, values)


def encode_frame(measurement: int, timestamp_ns: int, frame_type: int, samples: np.ndarray) -> bytes:
    """The wire form of a frame (the simulator side)."""
    if measurement == Measurement.ECG:
        width = 3
    else:
        width = _ACC_SAMPLE_BYTES[frame_type]
    v = np.asarray(samples, dtype=np.int64).reshape(-1)
    lim = 1 << (8 * width - 1)
    if v.size and (v.min() < -lim or v.max() >= lim):
        raise ValueError(f"sample out of range for {width}-byte samples")
    u = (v % (1 << (8 * width))).astype(np.uint32)
    body = np.stack([(u >> (8 * i)) & 0xFF for i in range(width)], axis=1).astype(np.uint8)
    return bytes([measurement]) + timestamp_ns.to_bytes(8, "little") + bytes([frame_type]) + body.tobytes()
