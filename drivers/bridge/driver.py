"""The edge-bridge driver: hello, configure, start, then sample frames → Chunks.

Sequence numbers come from the device, so a frame lost to line noise (CRC
rejected) or to a busy link shows up as a jump in ``Chunk.seq``: the
supervisor turns that into a Gap. Device ticks are mapped onto agent time by
a :class:`~agent.base.clock.DeviceClock`. Each channel of the band is its own
stream. A device-reported sensor fault becomes a Quality event.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import numpy as np
import serial.tools.list_ports

from agent.plugin import (
    Chunk,
    ConfigError,
    DeviceClock,
    DeviceError,
    DeviceNotFound,
    Discovered,
    DriverContext,
    DriverOptions,
    Modality,
    ProtocolError,
    Quality,
    StreamSpec,
)
from drivers.bridge import messages as msg
from drivers.bridge.framing import CobsFrameDecoder
from drivers.bridge.plugin import BridgeOptions
from drivers.bridge.serial_link import SerialLink

_MODALITY = {"eda": Modality.EDA, "gsr": Modality.EDA, "ppg": Modality.PPG, "temp": Modality.TEMP, "hr": Modality.HR}
_HALF_WRAP = msg.TICK_WRAP // 2


def stream_specs(hello: msg.Hello) -> list[StreamSpec]:
    """One stream per channel the band announces."""
    return [
        StreamSpec(ch.name, _MODALITY.get(ch.name.lower(), Modality.OTHER), (ch.name,), ch.unit, hello.rate_hz)
        for ch in hello.channels
    ]


class BridgeDriver:
    options: ClassVar[type[DriverOptions]] = BridgeOptions

    def __init__(self, options: BridgeOptions, context: DriverContext) -> None:
        self.opts = options
        self.ctx = context
        self.log = context.log
        self.hello: msg.Hello | None = None
        self.specs: list[StreamSpec] = []
        self.counters: Counter[str] = Counter()
        self._link: SerialLink | None = None
        self._decoder = CobsFrameDecoder()
        self._token = 0
        self._next_seq = 0  # stream seq of the next sample; continues across reconnects
        self._expect_dev_seq: int | None = None
        self._last_t: float | None = None
        self._dclock: DeviceClock | None = None
        self._arrival = 0.0  # agent time the bytes being decoded arrived
        self._last_arrival: float | None = None  # ... and the last ones that carried samples
        self._restarted = False
        self._leftover: list[msg.Message] = []  # read with a command's reply, for chunks() to handle

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        # Opening ports to probe them could disturb other devices, so list
        # USB serial candidates only; `edge-agent` probes the one chosen.
        found = []
        for p in serial.tools.list_ports.comports():
            if p.vid is None:
                continue
            found.append(Discovered("bridge", p.description or p.name, p.device, None, f"USB {p.vid:04x}:{p.pid:04x}"))
        return found

    # -- connection ------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._decoder.reset()
        self._leftover.clear()
        self._link = SerialLink(
            self.opts.port, self.opts.baudrate, self.ctx.clock, coalesce_s=self.opts.read_coalesce_s
        )
        await self._link.open()
        try:
            hello = await self._command(msg.CMD_GET_HELLO)
            want = None if self.opts.rate_hz is None else round(self.opts.rate_hz * 1000)
            if want is not None and hello.rate_mhz != want:
                hello = await self._command(msg.CMD_SET_RATE, want)
            self._adopt(hello)
            self._expect_dev_seq = None  # the supervisor, not the seq, reports the time we were away
            await self._command(msg.CMD_START)
        except BaseException:
            await self._link.close()
            raise
        self.log.info("bridge.connected", device=hello.device_id, firmware=hello.firmware, rate_hz=hello.rate_hz)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        with contextlib.suppress(DeviceError, TimeoutError):
            async with self.ctx.clock.timeout(0.5):
                self._token = self._token % 255 + 1
                await link.write(msg.encode(msg.Command(msg.CMD_STOP, self._token)))
        await link.close()

    def _adopt(self, hello: msg.Hello) -> None:
        """Take a HELLO's configuration; the device time base starts afresh with it."""
        if self.hello is not None and [c.name for c in hello.channels] != [c.name for c in self.hello.channels]:
            self.log.warning("bridge.channels_changed", before=self.hello.channels, after=hello.channels)
        self._dclock = DeviceClock(tick_hz=hello.tick_hz, wrap_ticks=msg.TICK_WRAP)
        self.hello = hello
        self.specs = stream_specs(hello)

    async def _command(self, kind: int, rate_mhz: int | None = None) -> msg.Hello:
        """Send a command until it is acknowledged; GET_HELLO and SET_RATE return the HELLO that follows."""
        assert self._link is not None
        wants_hello = kind in (msg.CMD_GET_HELLO, msg.CMD_SET_RATE)
        for _ in range(self.opts.command_attempts):
            self._token = self._token % 255 + 1
            token = self._token
            await self._link.write(msg.encode(msg.Command(kind, token, rate_mhz)))
            acked = False
            try:
                async with self.ctx.clock.timeout(self.opts.reply_timeout_s):
                    while True:
                        batch = await self._next_messages()
                        for i, m in enumerate(batch):
                            if isinstance(m, msg.Ack) and m.token == token:
                                acked = True
                                if not wants_hello:
                                    self._leftover = batch[i + 1 :]
                                    return self.hello  # type: ignore[return-value]
                            elif isinstance(m, msg.Error) and m.token == token:
                                raise self._refused(kind, m)
                            elif isinstance(m, msg.Hello) and acked:
                                self._leftover = batch[i + 1 :]
                                return m
            except TimeoutError:
                self.counters["command_retries"] += 1
                continue
        raise DeviceNotFound(
            f"no edge-bridge band answered command 0x{kind:02X} on {self.opts.port} "
            f"({self.opts.command_attempts} attempts of {self.opts.reply_timeout_s} s)"
        )

    def _refused(self, kind: int, err: msg.Error) -> Exception:
        if kind == msg.CMD_SET_RATE and err.code == msg.ERR_BAD_ARGUMENT:
            return ConfigError(
                f"the band on {self.opts.port} refuses rate_hz={self.opts.rate_hz}: {err.message}", field="rate_hz"
            )
        return DeviceError(f"the band refused command 0x{kind:02X}: {err.name} ({err.message})")

    async def _next_messages(self) -> list[msg.Message]:
        assert self._link is not None
        t, data = await self._link.read()
        self._arrival = t
        out = []
        for frame in self._decoder.feed(data):
            try:
                out.append(msg.decode(frame))
            except ProtocolError as err:
                self.counters["bad_payload"] += 1
                self.log.warning("bridge.bad_payload", error=str(err))
        return out

    # -- streaming ---------------------------------------------------------------

    async def chunks(self) -> AsyncIterator[Chunk | Quality]:
        while True:
            runs: list[msg.Samples] = []
            events: list[Quality] = []
            batch, self._leftover = self._leftover or await self._next_messages(), []
            for m in batch:
                if isinstance(m, msg.Samples):
                    runs.append(m)
                elif isinstance(m, msg.Hello):
                    # Samples before the HELLO belong to the old configuration.
                    for item in self._emit(runs):
                        yield item
                    runs = []
                    await self._device_hello(m)
                elif isinstance(m, msg.Error):
                    events.extend(self._device_error(m))
            for item in self._emit(runs):
                yield item
            for ev in events:
                yield ev

    async def _device_hello(self, hello: msg.Hello) -> None:
        """An unsolicited HELLO: the band rebooted, so it is idle and its ticks and seq restarted."""
        self.counters["device_restarts"] += 1
        self.log.warning("bridge.device_restarted", device=hello.device_id, rate_hz=hello.rate_hz)
        self._adopt(hello)
        self._restarted = True
        assert self._link is not None
        self._token = self._token % 255 + 1
        await self._link.write(msg.encode(msg.Command(msg.CMD_START, self._token)))  # its ACK is ignored

    def _device_error(self, err: msg.Error) -> list[Quality]:
        self.counters[f"device_error_{err.name}"] += 1
        if err.code == msg.ERR_OVERRUN:
            self.log.warning("bridge.device_overrun", lost=err.detail)
        elif err.code in (msg.ERR_SENSOR, msg.ERR_SENSOR_OK) and err.detail < len(self.specs):
            ok = err.code == msg.ERR_SENSOR_OK
            return [Quality(self.ctx.device_id, self.specs[err.detail].name, self.ctx.clock.now(), ok, err.message)]
        else:
            self.log.warning("bridge.device_error", code=err.name, detail=err.detail, message=err.message)
        return []

    def _emit(self, runs: list[msg.Samples]) -> list[Chunk]:
        """Contiguous runs of sample frames → one Chunk per channel per run."""
        if not runs:
            return []
        assert self.hello is not None and self._dclock is not None
        n_ch = len(self.hello.channels)
        chunks: list[Chunk] = []
        group: list[msg.Samples] = []
        group_seq = 0
        for s in runs:
            if s.raw.shape[1] != n_ch:
                self.counters["bad_payload"] += 1
                continue
            seq = self._place(s)
            if group and seq != group_seq + sum(len(g) for g in group):
                chunks += self._build(group, group_seq)
                group = []
            if not group:
                group_seq = seq
            group.append(s)
        if group:
            chunks += self._build(group, group_seq)
        return chunks

    def _place(self, s: msg.Samples) -> int:
        """The stream seq of this frame's first sample; device seq jumps become stream seq jumps."""
        assert self.hello is not None
        delta = 0
        if self._expect_dev_seq is not None:
            delta = (s.seq - self._expect_dev_seq) % msg.TICK_WRAP
            if delta >= _HALF_WRAP:  # seq went backwards: a restart whose HELLO was lost
                self.counters["device_restarts"] += 1
                self._adopt(self.hello)
                self._restarted = True
        if self._restarted and self._last_arrival is not None:
            # The device's own count restarted, so estimate what the restart cost from arrival times.
            delta = max(0, round((self._arrival - self._last_arrival) * self.hello.rate_hz) - len(s))
        if delta:
            self.counters["gaps"] += 1
            self.counters["missing_samples"] += delta
        self._restarted = False
        seq = self._next_seq + delta
        self._expect_dev_seq = (s.seq + len(s)) % msg.TICK_WRAP
        self._next_seq = seq + len(s)
        self._last_arrival = self._arrival
        return seq

    def _build(self, group: list[msg.Samples], seq: int) -> list[Chunk]:
        assert self.hello is not None and self._dclock is not None
        dclock = self._dclock
        base = dclock.unwrap([s.tick for s in group])
        device_s = np.concatenate([b + s.dt / self.hello.tick_hz for b, s in zip(base, group, strict=True)])
        raw = np.concatenate([s.raw for s in group])
        t = dclock.stamp(device_s, self._arrival)
        self.counters["samples"] += len(t)
        return [
            Chunk(self.ctx.device_id, spec, seq, t, raw[:, i] * ch.scale, device_t=device_s)
            for i, (spec, ch) in enumerate(zip(self.specs, self.hello.channels, strict=True))
        ]

    def stats(self) -> dict[str, Any]:
        link = self._link.stats() if self._link else {}
        return {
            "frames": self._decoder.frames,
            "rejected": dict(self._decoder.rejected),
            **dict(self.counters),
            **link,
        }
