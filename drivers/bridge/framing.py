"""edge-bridge framing: CRC-16/CCITT-FALSE, COBS, and a resynchronising frame decoder.

On the wire each frame is ``00 COBS(version, type, payload, crc16-LE) 00``.
A zero byte only ever appears as a delimiter, so after any line noise the
decoder is back in step at the next zero: noise costs the frames it touched
and no more. Every rejected frame is counted by reason and remembered as a
:class:`~agent.errors.ProtocolError`; nothing raises out of :meth:`feed`.
"""

from __future__ import annotations

import binascii
from collections import Counter
from dataclasses import dataclass

from agent.plugin import ProtocolError

PROTO_VERSION = 1
MAX_FRAME = 254  # decoded bytes: version, type, payload, crc
MAX_PAYLOAD = MAX_FRAME - 4
MAX_COBS = MAX_FRAME + 2


class FrameRejected(ProtocolError):
    """A frame that failed to decode; ``reason`` is the counter it lands in."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF); ``binascii.crc_hqx`` is exactly this."""
    return binascii.crc_hqx(data, 0xFFFF)


def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    block = bytearray()
    n = len(data)
    for i, b in enumerate(data):
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254 and i + 1 < n:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Decode one COBS block run (no delimiters); ProtocolError if it is not valid COBS."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise FrameRejected("bad_cobs", "COBS: zero byte inside a frame")
        end = i + code
        if end > n:
            raise FrameRejected("bad_cobs", f"COBS: block of {code - 1} bytes runs past the frame end")
        out += data[i + 1 : end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


def encode_frame(frame_type: int, payload: bytes) -> bytes:
    """The bytes of one frame on the wire, delimiters included."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((PROTO_VERSION, frame_type)) + payload
    return b"\x00" + cobs_encode(body + crc16(body).to_bytes(2, "little")) + b"\x00"


@dataclass(frozen=True, slots=True)
class Frame:
    version: int
    type: int
    payload: bytes


def parse_frame(cobs: bytes) -> Frame:
    """One frame's bytes between delimiters to a checked Frame, or ProtocolError naming why."""
    if len(cobs) > MAX_COBS:
        raise FrameRejected("too_long", f"frame of {len(cobs)} bytes is longer than any valid frame")
    raw = cobs_decode(cobs)
    if len(raw) < 4:
        raise FrameRejected("too_short", f"frame of {len(raw)} bytes is shorter than version, type and CRC")
    body, crc = raw[:-2], int.from_bytes(raw[-2:], "little")
    if crc16(body) != crc:
        raise FrameRejected("bad_crc", f"CRC mismatch: frame says {crc:04X}, bytes give {crc16(body):04X}")
    if body[0] != PROTO_VERSION:
        raise FrameRejected(
            "bad_version", f"protocol version {body[0]} is not supported (this host speaks {PROTO_VERSION})"
        )
    return Frame(body[0], body[1], body[2:])


class CobsFrameDecoder:
    """Bytes in any chunking → good frames; bad ones are counted in ``rejected`` by reason."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._overflow = False
        self.frames = 0
        self.rejected: Counter[str] = Counter()
        self.last_error: ProtocolError | None = None

    def reset(self) -> None:
        """Forget a partial frame (after reconnecting); the counters keep counting."""
        self._buf.clear()
        self._overflow = False

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def feed(self, data: bytes) -> list[Frame]:
        out: list[Frame] = []
        parts = data.split(b"\x00")
        for k, part in enumerate(parts):
            if not self._overflow:
                self._buf += part
                if len(self._buf) > MAX_COBS:
                    self._overflow = True  # drop until the next delimiter
                    self._buf.clear()
            if k == len(parts) - 1:
                break  # no delimiter after this part yet
            if self._overflow:
                self._reject(FrameRejected("too_long", "frame longer than any valid frame"))
            elif self._buf:
                try:
                    out.append(parse_frame(bytes(self._buf)))
                    self.frames += 1
                except FrameRejected as err:
                    self._reject(err)
            self._buf.clear()
            self._overflow = False
        return out

    def _reject(self, err: FrameRejected) -> None:
        self.rejected[err.reason] += 1
        self.last_error = err
