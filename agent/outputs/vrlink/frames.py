"""Framing of the VR link: a 4-byte big-endian payload length, then one msgpack value.

The decoder is incremental and split-invariant: bytes may arrive in any
pieces and yield the same frames. A frame whose payload is not msgpack is
reported and skipped (the length prefix keeps the stream in step); a length
above the limit cannot be skipped safely (it is most likely not a length at
all, but text or garbage), so it is fatal and the decoder stops.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import msgpack

from agent.errors import ProtocolError

HEADER = struct.Struct(">I")
DEFAULT_MAX_FRAME = 65536


class FrameError(ProtocolError):
    """A bad frame or message; ``code`` is the protocol error code sent back to the peer."""

    def __init__(self, code: str, message: str, *, fatal: bool = False, ref: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.detail = message
        self.fatal = fatal
        self.ref = ref  # the offending message's type, when it is known


def encode_frame(message: Mapping[str, Any], max_frame_bytes: int = DEFAULT_MAX_FRAME) -> bytes:
    """One frame for ``message``; ValueError if it would exceed the frame limit (a bug in the sender)."""
    payload: bytes = msgpack.packb(message, use_bin_type=True)
    if len(payload) > max_frame_bytes:
        raise ValueError(
            f"{message.get('type')!r} frame of {len(payload)} bytes exceeds the {max_frame_bytes}-byte limit"
        )
    return HEADER.pack(len(payload)) + payload


def decode_payload(payload: bytes) -> Any:
    """One msgpack value; FrameError('bad_frame') if the bytes are not exactly one valid value."""
    try:
        return msgpack.unpackb(payload, raw=False, use_list=True, strict_map_key=True)
    except (ValueError, TypeError, OverflowError, msgpack.UnpackException) as exc:
        # ExtraData, FormatError, StackError and invalid UTF-8 are all ValueError subclasses.
        raise FrameError("bad_frame", f"payload is not one msgpack value ({type(exc).__name__})") from exc


class FrameDecoder:
    """Turns a byte stream into msgpack values.

    :meth:`feed` returns, in stream order, each decoded value or a
    :class:`FrameError` for a frame that could not be decoded. After a fatal
    error (``frame_too_large``) the decoder is ``failed`` and ignores input.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buf = bytearray()
        self.failed = False
        self.frames = 0
        self.errors = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Any]:
        if self.failed:
            return []
        buf = self._buf
        buf += data
        out: list[Any] = []
        pos = 0
        while len(buf) - pos >= HEADER.size:
            (n,) = HEADER.unpack_from(buf, pos)
            if n > self.max_frame_bytes:
                self.failed = True
                self.errors += 1
                out.append(
                    FrameError(
                        "frame_too_large", f"length {n} exceeds the {self.max_frame_bytes}-byte limit", fatal=True
                    )
                )
                buf.clear()
                return out
            if len(buf) - pos - HEADER.size < n:
                break
            start = pos + HEADER.size
            pos = start + n
            if n == 0:
                self.errors += 1
                out.append(FrameError("bad_frame", "empty frame"))
                continue
            try:
                out.append(decode_payload(bytes(buf[start:pos])))
                self.frames += 1
            except FrameError as exc:
                self.errors += 1
                out.append(exc)
        del buf[:pos]
        return out
