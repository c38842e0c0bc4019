"""edge-bridge messages: typed values for each frame type, and their payload codecs.

Payload layouts are in ``firmware-bridge/PROTOCOL.md``; integers are
little-endian, strings are a length byte and UTF-8. Decoding a payload that
does not fit its type raises :class:`~agent.errors.ProtocolError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from agent.plugin import ProtocolError
from drivers.bridge.framing import Frame, encode_frame

HELLO, SAMPLES, ACK, ERROR = 0x01, 0x02, 0x03, 0x04
CMD_GET_HELLO, CMD_START, CMD_STOP, CMD_SET_RATE = 0x10, 0x11, 0x12, 0x13

ERROR_NAMES = {
    1: "bad_frame",
    2: "unknown_command",
    3: "bad_argument",
    4: "unsupported_version",
    5: "overrun",
    6: "sensor",
    7: "sensor_ok",
}
ERR_BAD_FRAME, ERR_UNKNOWN_COMMAND, ERR_BAD_ARGUMENT, ERR_UNSUPPORTED_VERSION, ERR_OVERRUN = range(1, 6)
ERR_SENSOR, ERR_SENSOR_OK = 6, 7  # a channel's sensor failed / recovered; detail is the channel index

TICK_WRAP = 1 << 32  # device ticks and sequence numbers are free-running uint32
# A channel's value is an int32 times 10**exponent, sent on as float32: above
# 28 the largest int32 overflows float32 to inf; below -45 every value is 0.
EXPONENT_MIN, EXPONENT_MAX = -45, 28


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    name: str
    unit: str
    exponent: int  # value = raw * 10**exponent

    @property
    def scale(self) -> float:
        return 10.0**self.exponent


@dataclass(frozen=True, slots=True)
class Hello:
    device_id: str
    firmware: str
    tick_hz: int
    rate_mhz: int
    batch: int
    channels: tuple[ChannelInfo, ...]

    @property
    def rate_hz(self) -> float:
        return self.rate_mhz / 1000.0


@dataclass(frozen=True, slots=True, eq=False)
class Samples:
    """``n`` samples: seq of the first, base tick, per-sample tick offsets, raw int32 values (n, channels)."""

    seq: int
    tick: int
    dt: np.ndarray = field(repr=False)
    raw: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return int(self.dt.shape[0])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Samples)
            and (self.seq, self.tick) == (other.seq, other.tick)
            and np.array_equal(self.dt, other.dt)
            and np.array_equal(self.raw, other.raw)
        )


@dataclass(frozen=True, slots=True)
class Ack:
    token: int
    command: int


@dataclass(frozen=True, slots=True)
class Error:
    token: int  # 0 when unsolicited
    code: int
    detail: int
    message: str

    @property
    def name(self) -> str:
        return ERROR_NAMES.get(self.code, f"code_{self.code}")


@dataclass(frozen=True, slots=True)
class Command:
    """A host-to-device command; ``rate_mhz`` only for SET_RATE."""

    type: int
    token: int
    rate_mhz: int | None = None


Message = Hello | Samples | Ack | Error | Command


# -- encoding ------------------------------------------------------------------


def _str(s: str) -> bytes:
    b = s.encode()
    if len(b) > 255:
        raise ValueError(f"string of {len(b)} bytes does not fit a length byte")
    return bytes((len(b),)) + b


def encode_payload(msg: Message) -> tuple[int, bytes]:
    match msg:
        case Hello():
            out = _str(msg.device_id) + _str(msg.firmware)
            out += struct.pack("<IIBB", msg.tick_hz, msg.rate_mhz, msg.batch, len(msg.channels))
            for ch in msg.channels:
                out += _str(ch.name) + _str(ch.unit) + struct.pack("<b", ch.exponent)
            return HELLO, out
        case Samples():
            n, n_ch = msg.raw.shape
            rows = np.zeros(n, dtype=_sample_dtype(n_ch))
            rows["dt"] = msg.dt
            rows["v"] = msg.raw
            return SAMPLES, struct.pack("<IIB", msg.seq, msg.tick, n) + rows.tobytes()
        case Ack():
            return ACK, bytes((msg.token, msg.command))
        case Error():
            return ERROR, struct.pack("<BBI", msg.token, msg.code, msg.detail) + _str(msg.message)
        case Command():
            arg = b"" if msg.rate_mhz is None else struct.pack("<I", msg.rate_mhz)
            return msg.type, bytes((msg.token,)) + arg
    raise TypeError(f"not an edge-bridge message: {msg!r}")


def encode(msg: Message) -> bytes:
    """A message as bytes on the wire, delimiters included."""
    return encode_frame(*encode_payload(msg))


# -- decoding ------------------------------------------------------------------


def _sample_dtype(n_ch: int) -> np.dtype:
    return np.dtype([("dt", "<u2"), ("v", "<i4", (n_ch,))])


class _Reader:
    def __init__(self, what: str, data: bytes) -> None:
        self.what, self.data, self.at = what, data, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ProtocolError(f"{self.what}: payload ends at byte {len(self.data)}, needs {self.at + n}")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def string(self) -> str:
        (n,) = self.unpack("<B")
        raw = self.take(n)
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"{self.what}: string is not UTF-8: {raw!r}") from exc

    def done(self) -> None:
        if self.at != len(self.data):
            raise ProtocolError(f"{self.what}: {len(self.data) - self.at} bytes left over")


def decode(frame: Frame) -> Message:
    """A checked frame to its message; ProtocolError if the payload does not fit the type."""
    t, p = frame.type, frame.payload
    if t == SAMPLES:
        return _decode_samples(p)
    r = _Reader(f"frame type 0x{t:02X}", p)
    if t == HELLO:
        device_id, firmware = r.string(), r.string()
        tick_hz, rate_mhz, batch, n_ch = r.unpack("<IIBB")
        channels = []
        for _ in range(n_ch):
            name, unit = r.string(), r.string()
            (exp,) = r.unpack("<b")
            if not EXPONENT_MIN <= exp <= EXPONENT_MAX:
                raise ProtocolError(
                    f"hello: channel {name!r} exponent {exp} is outside [{EXPONENT_MIN}, {EXPONENT_MAX}]"
                    " (its values would not fit a float32)"
                )
            channels.append(ChannelInfo(name, unit, exp))
        r.done()
        if tick_hz == 0 or rate_mhz == 0 or n_ch == 0:
            raise ProtocolError(f"hello: tick_hz {tick_hz}, rate_mhz {rate_mhz}, {n_ch} channels must all be > 0")
        return Hello(device_id, firmware, tick_hz, rate_mhz, batch, tuple(channels))
    if t == ACK:
        token, command = r.unpack("<BB")
        r.done()
        return Ack(token, command)
    if t == ERROR:
        token, code, detail = r.unpack("<BBI")
        message = r.string()
        r.done()
        return Error(token, code, detail, message)
    if t in (CMD_GET_HELLO, CMD_START, CMD_STOP):
        (token,) = r.unpack("<B")
        r.done()
        return Command(t, token)
    if t == CMD_SET_RATE:
        token, rate = r.unpack("<BI")
        r.done()
        return Command(t, token, rate)
    raise ProtocolError(f"unknown frame type 0x{t:02X}")


def _decode_samples(p: bytes) -> Samples:
    if len(p) < 9:
        raise ProtocolError(f"samples: {len(p)} bytes, header needs 9")
    seq, tick, n = struct.unpack_from("<IIB", p)
    body = len(p) - 9
    if n == 0 or body % n or (body // n - 2) % 4 or body // n < 6:
        raise ProtocolError(f"samples: {body} bytes of samples do not split into {n} samples of int32 channels")
    n_ch = (body // n - 2) // 4
    rows = np.frombuffer(p, dtype=_sample_dtype(n_ch), count=n, offset=9)
    return Samples(seq, tick, rows["dt"].astype(np.int64), rows["v"].astype(np.int32).reshape(n, n_ch))
