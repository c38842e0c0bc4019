"""A noisy serial line between two pseudo-terminals, for fault injection.

It copies device → host bytes from one pty to another, frame by frame, and
damages chosen SAMPLES frames and sprinkles garbage between frames, keeping
a record of exactly which samples it destroyed. Host → device bytes pass
untouched. Both ends are real ptys; the driver cannot tell it from a cable.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from drivers.bridge import messages as m
from drivers.bridge.framing import FrameRejected, parse_frame

from .conftest import PtyPort


@dataclass
class NoisyLine:
    device_side: PtyPort  # the firmware holds its master; we read its slave
    host_link: Path  # the driver opens this
    corrupt_every: int = 5  # damage every Nth SAMPLES frame (after the first few)
    garbage_every: int = 7  # insert garbage before every Nth frame
    destroyed: set[int] = field(default_factory=set)  # device seqs of damaged samples
    forwarded: set[int] = field(default_factory=set)  # device seqs forwarded intact
    damaged_frames: int = 0

    def start(self) -> None:
        self.host_side = PtyPort(self.host_link)
        self._host_master = self.host_side.plug()
        os.set_blocking(self._host_master, False)
        os.set_blocking(self.device_side.slave, False)
        self._buf = bytearray()
        self._frames_seen = 0
        self._samples_seen = 0
        loop = asyncio.get_running_loop()
        loop.add_reader(self.device_side.slave, self._from_device)
        loop.add_reader(self._host_master, self._from_host)

    def stop(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.device_side.slave)
        loop.remove_reader(self._host_master)
        self.host_side.unplug()

    def _from_host(self) -> None:
        try:
            os.write(self.device_side.slave, os.read(self._host_master, 4096))
        except OSError:
            pass  # the driver closed its side for a moment

    def _from_device(self) -> None:
        try:
            self._buf += os.read(self.device_side.slave, 4096)
        except OSError:
            return
        *frames, rest = self._buf.split(b"\x00")
        self._buf = bytearray(rest)
        out = bytearray()
        for raw in frames:
            if not raw:
                continue
            self._frames_seen += 1
            if self._frames_seen % self.garbage_every == 0:
                out += b"\x13\x37line noise\x00\xff\xfe"
            out += b"\x00" + self._maybe_damage(bytes(raw)) + b"\x00"
        try:
            os.write(self._host_master, out)
        except BlockingIOError:
            pass  # the driver is not reading yet: a real line drops these too

    def _maybe_damage(self, raw: bytes) -> bytes:
        try:
            frame = parse_frame(raw)
        except FrameRejected:
            return raw
        if frame.type != m.SAMPLES:
            return raw
        s = m.decode(frame)
        assert isinstance(s, m.Samples)
        seqs = {s.seq + i for i in range(len(s))}
        self._samples_seen += 1
        if self._samples_seen > 3 and self._samples_seen % self.corrupt_every == 0:
            self.damaged_frames += 1
            self.destroyed |= seqs
            damaged = bytearray(raw)
            damaged[len(raw) // 2] ^= 0x5A
            return bytes(damaged)
        self.forwarded |= seqs
        return raw
