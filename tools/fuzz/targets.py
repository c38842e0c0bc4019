"""Fuzz targets: each makes one input from a random generator and feeds it to one decoder.

A target's ``run`` returns normally or raises one of its ``contract``
exceptions for any input; anything else escaping is a finding. Stream
decoders also check, on every input, that cutting the bytes differently
does not change what is decoded and that clean frames after the garbage
come through (resynchronisation). A broken check raises :class:`Violation`.
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgpack
import numpy as np

from agent.errors import ProtocolError
from tools.fuzz.mutate import corrupt, mutate_value, split


class Violation(AssertionError):
    """A decoder answered, but broke a promise (lost or invented frames, a value it cannot re-encode)."""


class Target(Protocol):
    name: str
    contract: tuple[type[BaseException], ...]

    def make(self, r: random.Random) -> Any: ...

    def run(self, data: Any) -> None: ...


def _mutant(seeds: list[bytes], r: random.Random) -> bytes:
    if r.random() < 0.05:
        return r.randbytes(r.randrange(64))
    return corrupt(r.choice(seeds), r)


@dataclass
class HeartRate:
    """Bluetooth Heart Rate Measurement notifications (0x2A37)."""

    name: str = "hrs"
    contract: tuple[type[BaseException], ...] = (ProtocolError,)
    seeds: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        from drivers.ble.hrs import Contact, HeartRateMeasurement, decode_heart_rate, encode_heart_rate

        self._decode = decode_heart_rate
        self.seeds = [
            encode_heart_rate(HeartRateMeasurement(72, Contact.DETECTED, None, (800, 810), False, True)),
            encode_heart_rate(HeartRateMeasurement(300, Contact.NOT_DETECTED, 1200, (), True, False)),
            encode_heart_rate(HeartRateMeasurement(60)),
        ]

    def make(self, r: random.Random) -> bytes:
        return _mutant(self.seeds, r)

    def run(self, data: bytes) -> None:
        self._decode(data)


@dataclass
class PolarPmd:
    """Polar Measurement Data: control-point responses, settings, features and data frames."""

    name: str = "pmd"
    contract: tuple[type[BaseException], ...] = (ProtocolError,)
    seeds: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        from drivers.ble import pmd

        self.pmd = pmd
        ecg = np.arange(-50, 50, dtype=np.int32)
        acc = np.tile(np.array([[0, 0, 1000]], dtype=np.int32), (12, 1))
        settings = {pmd.Setting.SAMPLE_RATE: (130,), pmd.Setting.RESOLUTION: (14,)}
        self.seeds = [
            pmd.encode_frame(pmd.Measurement.ECG, 10**12, 0, ecg),
            pmd.encode_frame(pmd.Measurement.ACC, 10**12, 1, acc),
            pmd.encode_settings(settings),
            pmd.start(pmd.Measurement.ECG, settings),
            bytes((0xF0, 0x02, 0x00, 0x00, 0x00)) + pmd.encode_settings(settings),
            pmd.encode_features(frozenset({0, 2})),
        ]

    def make(self, r: random.Random) -> bytes:
        return _mutant(self.seeds, r)

    def run(self, data: bytes) -> None:
        p = self.pmd
        for decode in (p.decode_frame, p.decode_response, p.decode_settings, p.decode_features, p.decode_command):
            try:
                decode(data)
            except ProtocolError:
                pass


@dataclass
class Shimmer:
    """The Shimmer3 stream decoder: garbage between 128 Hz PPG+GSR packets, cut anywhere."""

    name: str = "shimmer"
    contract: tuple[type[BaseException], ...] = ()

    def __post_init__(self) -> None:
        from drivers.shimmer import protocol

        self.p = protocol
        self.inquiry = protocol.Inquiry(256, b"\x04\x01\x01\x09", 1, (protocol.CH_PPG_A13, protocol.CH_GSR))

    def _packets(self, r: random.Random, start: int, n: int) -> list[bytes]:
        wrap, period = self.p.TICK_WRAP, self.inquiry.rate_ticks
        return [
            b"\x00"
            + ((start + i * period) % wrap).to_bytes(3, "little")
            + r.randrange(4096).to_bytes(2, "little")
            + r.randrange(1, 0xFFFF).to_bytes(2, "little")
            for i in range(n)
        ]

    def make(self, r: random.Random) -> tuple[bytes, bytes, list[bytes], list[bytes]]:
        start = r.randrange(self.p.TICK_WRAP)
        pk = self._packets(r, start, r.randrange(2, 12))
        noisy = corrupt(b"".join(pk), r)
        after = self._packets(r, start + (len(pk) + 40) * self.inquiry.rate_ticks, 8)  # clean, 40 periods on
        return noisy, b"".join(after) + b"\x00", after, split(noisy + b"".join(after) + b"\x00", r)

    def run(self, data: tuple[bytes, bytes, list[bytes], list[bytes]]) -> None:
        noisy, tail, after, parts = data
        whole = self.p.StreamDecoder(self.inquiry).feed(noisy + tail)
        dec = self.p.StreamDecoder(self.inquiry)
        got: tuple[list[bytes], list[Any]] = ([], [])
        for part in parts:
            a, b = dec.feed(part)
            got[0].extend(a)
            got[1].extend(b)
        if got != whole:
            raise Violation("the packets depend on how the bytes were cut")
        if whole[0][-7:] != after[-7:]:  # two clean packets in a row relock at once: at most the first is lost
            raise Violation("clean packets after garbage were lost")


@dataclass
class Bridge:
    """edge-bridge COBS frames and their payloads: garbage, then clean frames, cut anywhere."""

    name: str = "bridge"
    contract: tuple[type[BaseException], ...] = (ProtocolError,)
    seeds: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        from drivers.bridge import framing, messages

        self.m, self.f = messages, framing
        hello = messages.Hello("edge-1", "1.2.0", 32768, 4000, 4, (messages.ChannelInfo("eda", "uS", -3),))
        samples = messages.Samples(7, 1000, np.array([0, 8, 16, 24]), np.arange(4, dtype=np.int32).reshape(4, 1))
        self.clean = [messages.encode(x) for x in (hello, samples, messages.Ack(3, 0x11))]
        self.seeds = [*self.clean, messages.encode(messages.Error(0, 6, 1, "sensor"))]

    def make(self, r: random.Random) -> tuple[bytes, list[bytes]]:
        noisy = b"".join(corrupt(r.choice(self.seeds), r) for _ in range(r.randrange(1, 4)))
        return noisy, split(noisy + b"\x00" + b"".join(self.clean), r)

    def run(self, data: tuple[bytes, list[bytes]]) -> None:
        noisy, parts = data
        whole = self.f.CobsFrameDecoder()
        frames = whole.feed(noisy + b"\x00" + b"".join(self.clean))
        dec = self.f.CobsFrameDecoder()
        if [x for part in parts for x in dec.feed(part)] != frames:
            raise Violation("the frames depend on how the bytes were cut")
        if [self.f.encode_frame(x.type, x.payload) for x in frames[-3:]] != self.clean:
            raise Violation("clean frames after garbage were lost")
        for frame in frames:
            try:
                msg = self.m.decode(frame)
            except ProtocolError:
                continue
            if isinstance(msg, self.m.Hello) and not all(math.isfinite(c.scale * 2**31) for c in msg.channels):
                raise Violation(f"a HELLO with exponents {[c.exponent for c in msg.channels]} was accepted")


@dataclass
class VrFrames:
    """The VR link: length-prefixed msgpack frames, then typed app messages."""

    name: str = "vr-frames"
    contract: tuple[type[BaseException], ...] = (ProtocolError,)
    seeds: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        from agent.outputs.vrlink import frames, messages

        self.frames, self.messages = frames, messages
        self.seeds = [
            frames.encode_frame({"type": "hello", "versions": [1], "client": "unity"}),
            frames.encode_frame({"type": "session_start", "session_id": "s-1", "protocol_id": "p", "scene_id": "a"}),
            frames.encode_frame({"type": "pain_rating", "session_id": "s-1", "nrs": 4, "phase": "before", "id": 3}),
            frames.encode_frame({"type": "marker", "label": "peak", "value": 1.5, "t_app": 12.0}),
        ]

    def _one(self, seed: bytes, r: random.Random) -> bytes:
        roll = r.random()
        if roll < 0.3:
            value = mutate_value(self.frames.decode_payload(seed[4:]), r)
            return self.frames.encode_frame(value)  # type: ignore[arg-type]
        return corrupt(seed, r) if roll < 0.7 else seed

    def make(self, r: random.Random) -> tuple[bytes, list[bytes]]:
        stream = b"".join(self._one(s, r) for s in r.choices(self.seeds, k=r.randrange(1, 4)))
        return stream, split(stream, r)

    def run(self, data: tuple[bytes, list[bytes]]) -> None:
        stream, parts = data
        whole = self.frames.FrameDecoder().feed(stream)
        dec = self.frames.FrameDecoder()
        cut = [x for part in parts for x in dec.feed(part)]
        if [repr(x) for x in cut] != [repr(x) for x in whole]:
            raise Violation("the messages depend on how the bytes were cut")
        for value in whole:
            if not isinstance(value, ProtocolError):
                try:
                    self.messages.parse(value, self.messages.APP_MESSAGES)
                except ProtocolError:
                    pass


@dataclass
class MqttCodec:
    """Summary envelopes and presence messages as the backend consumer decodes them.

    An accepted envelope must re-encode, and an accepted presence must have a finite time:
    the consumer stores what the codec accepts.
    """

    name: str = "mqtt-codec"
    contract: tuple[type[BaseException], ...] = (ProtocolError,)
    seeds: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        from agent.outputs.summaries.records import (
            DeviceHealth,
            DiskUsage,
            DistressStats,
            MinuteSummary,
            SessionSummary,
        )
        from agent.outputs.sync import codec

        self.codec = codec
        key = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
        distress = DistressStats(n=0, mean=None, p90=None, histogram=[0] * 5)
        minute = MinuteSummary(start=6000.0, end=6060.0, distress=distress)
        session = SessionSummary(session_id="s-1", start=0.0, end=600.0, duration_s=600.0, completed=True)
        health = DeviceHealth(t=1.7e9, uptime_s=60.0, agent_version="1.0.0", outbox={"depth": 3, "bytes": 900},
                              disk=DiskUsage(path="/var/lib/edge-agent", total_bytes=10**9, free_bytes=10**8))
        self.seeds = [
            codec.encode_record(minute, key=key, created=1.7e9, site="clinic-a", device="headset-1"),
            codec.encode_record(health, key=key, created=1.7e9, site="clinic-a", device="headset-1"),
            codec.encode_record(session, key=key, created=1.7e9, site="clinic-a", device="headset-1"),
            codec.encode_presence(codec.Presence("online", 1.7e9, "clinic-a", "headset-1", "1.0.0")),
        ]

    def make(self, r: random.Random) -> bytes:
        if r.random() < 0.5:  # well-formed msgpack with odd values: what gets past the byte checks
            return msgpack.packb(mutate_value(msgpack.unpackb(r.choice(self.seeds)), r), use_bin_type=True)
        return _mutant(self.seeds, r)

    def run(self, data: bytes) -> None:
        c = self.codec
        try:
            env = c.decode_record(data)
        except ProtocolError:
            pass
        else:
            try:
                c.encode_record(env.body, key=env.key, created=env.created, site=env.site, device=env.device)
            except Exception as exc:  # noqa: BLE001 - any failure to re-encode breaks the consumer
                raise Violation(f"accepted {env.kind} cannot be re-encoded: {type(exc).__name__}") from exc
        try:
            presence = c.decode_presence(data)
        except ProtocolError:
            return
        if not math.isfinite(presence.t):
            raise Violation(f"accepted a presence with t = {presence.t}")


@dataclass
class ReplayReaders:
    """Every replay format's reader, on corrupted small recordings written to a temporary folder."""

    name: str = "replay-readers"
    contract: tuple[type[BaseException], ...] = ()

    def __post_init__(self) -> None:
        from tools.fuzz import recordings

        self.recordings = recordings
        self.contract = recordings.CONTRACT
        self.seeds = recordings.seeds()
        self.names = sorted(self.seeds)
        shm = "/dev/shm" if Path("/dev/shm").is_dir() else None  # memory, not disk: a million small files
        self.folder = Path(tempfile.mkdtemp(prefix="fuzz-replay-", dir=shm))
        weakref.finalize(self, shutil.rmtree, self.folder, True)

    def make(self, r: random.Random) -> tuple[str, bytes]:
        name = r.choice(self.names)
        return name, corrupt(self.seeds[name], r)

    def run(self, data: tuple[str, bytes]) -> None:
        self.recordings.open_corrupted(self.folder, *data)


TARGETS: dict[str, type] = {
    t.name: t for t in (HeartRate, PolarPmd, Shimmer, Bridge, VrFrames, MqttCodec, ReplayReaders)
}
