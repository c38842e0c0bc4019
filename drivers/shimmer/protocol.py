"""The Shimmer3 Bluetooth serial protocol (LogAndStream firmware), as far as a GSR+ needs it.

The host sends a command byte and its arguments; the device answers ACK
``FF`` and then the command's response, if it has one. While streaming,
data packets ``00 <u24 LE ticks> <channels…>`` run back to back, and
in-stream responses start with ``8A``. There is no checksum, so the stream
decoder guards itself differently: a packet is accepted only if the byte
after it starts another message and its timestamp lies a whole number of
sample periods after the last accepted one. Bytes that fail are counted and
skipped one at a time until the stream lines up again: after garbage, one
packet whose timestamp still follows the last accepted one relocks; two
back-to-back packets one period apart always do (at the start, after a
silence longer than ``max_gap_s``, or when a corrupted timestamp that
happened to fall a whole number of periods on became the anchor).
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass

import numpy as np

from agent.plugin import ProtocolError

TICK_HZ = 32768
TICK_WRAP = 1 << 24  # 512 s

ACK = 0xFF
DATA = 0x00
INSTREAM = 0x8A

INQUIRY = 0x01
INQUIRY_RESPONSE = 0x02
GET_SAMPLING_RATE = 0x03
SAMPLING_RATE_RESPONSE = 0x04
SET_SAMPLING_RATE = 0x05
START_STREAMING = 0x07
SET_SENSORS = 0x08
STOP_STREAMING = 0x20
SET_GSR_RANGE = 0x21
GSR_RANGE_RESPONSE = 0x22
GET_GSR_RANGE = 0x23
STATUS_RESPONSE = 0x71
BATTERY_RESPONSE = 0x94
GET_BATTERY = 0x95

CH_PPG_A13 = 0x12  # internal ADC A13, where the GSR+ optical pulse probe sits
CH_GSR = 0x1C

SENSOR_GSR = 0x04  # byte 0 of the SET_SENSORS bitfield
SENSOR_INT_A13 = 0x0100  # bit 0 of byte 1

# Bytes per sample of each Shimmer3 channel id, so that packets with
# channels we do not use can still be measured (pyshimmer's table).
CHANNEL_SIZE = {
    **{c: 2 for c in range(0x1B)},
    0x1B: 3,
    0x1C: 2,
    0x1D: 1,
    0x1E: 3,
    0x1F: 3,
    0x20: 1,
    0x21: 3,
    0x22: 3,
    **{c: 2 for c in range(0x23, 0x29)},
}
for _unknown in (0x14, 0x15, 0x16, 0x17, 0x18, 0x19):  # MPU9150 channels the firmware never streams
    CHANNEL_SIZE.pop(_unknown)


def rate_to_ticks(rate_hz: float) -> int:
    return max(1, min(0xFFFF, round(TICK_HZ / rate_hz)))


def ticks_to_rate(ticks: int) -> float:
    return TICK_HZ / ticks


def set_sampling_rate(rate_hz: float) -> bytes:
    return struct.pack("<BH", SET_SAMPLING_RATE, rate_to_ticks(rate_hz))


def set_sensors(bits: int) -> bytes:
    return bytes((SET_SENSORS,)) + bits.to_bytes(3, "little")


def set_gsr_range(rng: int) -> bytes:
    return bytes((SET_GSR_RANGE, rng))


@dataclass(frozen=True, slots=True)
class Inquiry:
    rate_ticks: int
    config: bytes
    buffer_size: int
    channels: tuple[int, ...]

    @property
    def rate_hz(self) -> float:
        return ticks_to_rate(self.rate_ticks)

    @property
    def packet_size(self) -> int:
        return 4 + sum(CHANNEL_SIZE[c] for c in self.channels)


def parse_inquiry(body: bytes) -> Inquiry:
    """``02 <u16 ticks> <4 config> <n_ch> <buf> <ids>`` (after the ACK)."""
    if len(body) < 9 or body[0] != INQUIRY_RESPONSE:
        raise ProtocolError(f"not an inquiry response: {body.hex(' ')}")
    n_ch = body[7]
    if len(body) != 9 + n_ch:
        raise ProtocolError(f"inquiry lists {n_ch} channels but has {len(body) - 9} channel bytes")
    ticks = int.from_bytes(body[1:3], "little")
    channels = tuple(body[9:])
    unknown = [c for c in channels if c not in CHANNEL_SIZE]
    if ticks == 0 or unknown:
        raise ProtocolError(f"inquiry: rate ticks {ticks}, unknown channel ids {[hex(c) for c in unknown]}")
    return Inquiry(ticks, bytes(body[3:7]), body[8], channels)


def parse_sampling_rate(body: bytes) -> float:
    """``04 <u16 LE ticks>`` (after the ACK) to Hz."""
    if len(body) != 3 or body[0] != SAMPLING_RATE_RESPONSE or body[1:] == b"\x00\x00":
        raise ProtocolError(f"not a sampling-rate response: {body.hex(' ')}")
    return ticks_to_rate(int.from_bytes(body[1:], "little"))


def inquiry_length(first: bytes) -> int | None:
    """Total length of an inquiry response from its first 8 bytes, or None if not there yet."""
    return None if len(first) < 8 else 9 + first[7]


def battery_volts(b0: int, b1: int) -> float:
    """12-bit ADC reading behind a 1.988 divider (Shimmer user manual; pyshimmer)."""
    return (b1 * 256 + b0) * 3.0 / 4095 * 1.988


@dataclass(frozen=True, slots=True)
class InStream:
    """An in-stream message: an ACK, a battery reading or a status byte."""

    kind: str  # "ack" | "battery" | "status"
    data: bytes = b""


class StreamDecoder:
    """Streaming bytes → (tick, values) packets and in-stream messages; the same however split."""

    def __init__(self, inquiry: Inquiry, *, max_gap_s: float = 10.0) -> None:
        self.inquiry = inquiry
        self.size = inquiry.packet_size
        self.period = inquiry.rate_ticks
        self.max_gap = max(1, min(int(max_gap_s * inquiry.rate_hz), (TICK_WRAP // 2) // self.period))
        self.tolerance = max(1, self.period // 16)
        self._buf = bytearray()
        self._last_tick: int | None = None  # of the last accepted packet: the anchor for relocking
        self._locked = False
        self._misses = 0
        self.counters: Counter[str] = Counter()
        offsets, o = [], 4
        for c in inquiry.channels:
            offsets.append(o)
            o += CHANNEL_SIZE[c]
        self._offsets = dict(zip(inquiry.channels, offsets, strict=True))

    def _periods_after(self, tick: int, last: int) -> int | None:
        """How many sample periods ``tick`` lies after ``last``, if a whole number within ``max_gap``."""
        d = (tick - last) % TICK_WRAP
        k = round(d / self.period)
        return k if 1 <= k <= self.max_gap and abs(d - k * self.period) <= self.tolerance else None

    def _closer_packet_inside(self, buf: bytearray, i: int, k: int) -> bool:
        """Whether a packet that follows the anchor by fewer periods starts inside the one at ``i``.

        A gap is believed only if nothing nearer in time explains the bytes: a
        stray 0x00 before a real packet reads as a packet many periods on.
        """
        assert self._last_tick is not None
        for j in range(i + 1, i + self.size):
            if buf[j] == DATA and buf[j + self.size] in (DATA, ACK, INSTREAM):
                kj = self._periods_after(int.from_bytes(buf[j + 1 : j + 4], "little"), self._last_tick)
                if kj is not None and kj < k:
                    return True
        return False

    def feed(self, data: bytes) -> tuple[list[bytes], list[InStream]]:
        """Whole packets (raw bytes) and in-stream messages, in arrival order of their kind."""
        buf = self._buf
        buf += data
        packets: list[bytes] = []
        events: list[InStream] = []
        i, n, size = 0, len(buf), self.size
        while i < n:
            b = buf[i]
            if b == DATA:
                if i + size + 1 > n:
                    break  # wait for the next message's first byte
                tick = int.from_bytes(buf[i + 1 : i + 4], "little")
                # In step, or relocking on the anchor: the packet follows the last one and a message follows it.
                k = None
                if self._last_tick is not None and buf[i + size] in (DATA, ACK, INSTREAM):
                    k = self._periods_after(tick, self._last_tick)
                if k is not None and k > 1:
                    if i + 2 * size > n:
                        break  # a gap: wait for the bytes that could hold a nearer packet
                    if self._closer_packet_inside(buf, i, k):
                        k = None
                ok = k is not None
                if not ok:
                    if i + 2 * size > n:
                        break  # wait for a second packet
                    # No anchor, or one a corrupted tick misplaced: two packets in a row, one period apart.
                    nxt = int.from_bytes(buf[i + size + 1 : i + size + 4], "little")
                    ok = buf[i + size] == DATA and (nxt - tick) % TICK_WRAP == self.period
                if ok:
                    packets.append(bytes(buf[i : i + size]))
                    self._last_tick = tick
                    self._locked = True
                    self._misses = 0
                    i += size
                    continue
            elif b == ACK:
                events.append(InStream("ack"))
                i += 1
                continue
            elif b == INSTREAM:
                if i + 2 > n:
                    break
                code = buf[i + 1]
                length = {STATUS_RESPONSE: 3, BATTERY_RESPONSE: 5}.get(code)
                if length is not None:
                    if i + length > n:
                        break
                    kind = "status" if code == STATUS_RESPONSE else "battery"
                    events.append(InStream(kind, bytes(buf[i + 2 : i + length])))
                    i += length
                    continue
            self.counters["skipped_bytes"] += 1
            self._misses += 1
            if self._locked and self._misses > 4 * size:
                self._locked = False  # lost: relock on the anchor, or find the stream's step from scratch
                self.counters["resyncs"] += 1
            i += 1
        del buf[:i]
        self.counters["packets"] += len(packets)
        return packets, events

    def values(self, packets: list[bytes], channel: int) -> np.ndarray:
        """One uint16 LE channel out of whole packets."""
        if not packets:
            return np.zeros(0, dtype=np.int64)
        arr = np.frombuffer(b"".join(packets), dtype=np.uint8).reshape(len(packets), self.size)
        o = self._offsets[channel]
        return arr[:, o].astype(np.int64) | (arr[:, o + 1].astype(np.int64) << 8)

    def ticks(self, packets: list[bytes]) -> np.ndarray:
        arr = np.frombuffer(b"".join(packets), dtype=np.uint8).reshape(len(packets), self.size)
        return arr[:, 1].astype(np.int64) | (arr[:, 2].astype(np.int64) << 8) | (arr[:, 3].astype(np.int64) << 16)
