"""The Shimmer3 GSR+ driver: configure over the command protocol, then decode the stream.

Sequence numbers come from the device timestamps (a packet every
``rate_ticks``), so packets lost on the radio link or to line noise show up
as a jump in ``Chunk.seq``. Ticks wrap every 512 s and are unwrapped and
mapped onto agent time by a :class:`~agent.base.clock.DeviceClock`. Open
electrodes (a reading below the amplifier reference) become a Quality event.
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
from drivers.bridge.serial_link import SerialLink
from drivers.shimmer import protocol as p
from drivers.shimmer.gsr import gsr_to_microsiemens
from drivers.shimmer.plugin import ShimmerOptions

_QUIET_S = 0.15  # a stream that was left running has stopped once the line is this quiet


class ShimmerDriver:
    options: ClassVar[type[DriverOptions]] = ShimmerOptions

    def __init__(self, options: ShimmerOptions, context: DriverContext) -> None:
        self.opts = options
        self.ctx = context
        self.log = context.log
        self.inquiry: p.Inquiry | None = None
        self.battery_v: float | None = None
        self.counters: Counter[str] = Counter()
        self.gsr_spec = StreamSpec("gsr", Modality.EDA, ("gsr",), "uS", options.rate_hz)
        self.ppg_spec = StreamSpec("ppg", Modality.PPG, ("ppg",), "mV", options.rate_hz)
        self._link: SerialLink | None = None
        self._rx = bytearray()
        self._decoder: p.StreamDecoder | None = None
        self._dclock: DeviceClock | None = None
        self._next_seq = 0
        self._last_u: float | None = None  # unwrapped device seconds of the last packet
        self._last_seq = 0
        self._open = False  # electrodes reported open
        self._battery_due = 0.0

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return [
            Discovered("shimmer-gsr", port.description or port.name, port.device)
            for port in serial.tools.list_ports.comports()
            if "rfcomm" in port.device
        ]

    # -- commands ------------------------------------------------------------------

    async def _read_more(self) -> None:
        assert self._link is not None
        _, data = await self._link.read()
        self._rx += data

    async def _take(self, n: int) -> bytes:
        while len(self._rx) < n:
            await self._read_more()
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    async def _command(self, cmd: bytes, reply: str = "") -> bytes:
        """Send a command, wait for its ACK and its reply ("inquiry", "battery", "range" or none)."""
        assert self._link is not None
        for _ in range(self.opts.command_attempts):
            self._rx.clear()
            await self._link.write(cmd)
            try:
                async with self.ctx.clock.timeout(self.opts.reply_timeout_s):
                    ack = await self._take(1)
                    if ack[0] != p.ACK:
                        raise ProtocolError(f"expected ACK after command 0x{cmd[0]:02X}, got {ack.hex()}")
                    if reply == "inquiry":
                        head = await self._take(8)
                        return head + await self._take(p.inquiry_length(head) - 8)  # type: ignore[operator]
                    if reply == "battery":
                        return await self._take(5)
                    if reply == "range":
                        return await self._take(2)
                    return b""
            except (TimeoutError, ProtocolError) as err:
                self.counters["command_retries"] += 1
                self.log.warning("shimmer.command_retry", command=f"0x{cmd[0]:02X}", error=str(err) or "timeout")
                await self._quiesce()
        raise DeviceNotFound(f"no Shimmer answered command 0x{cmd[0]:02X} on {self.opts.port}")

    async def _quiesce(self) -> None:
        """Stop any stream left running and wait for the line to go quiet."""
        assert self._link is not None
        await self._link.write(bytes((p.STOP_STREAMING,)))
        with contextlib.suppress(TimeoutError):
            async with self.ctx.clock.timeout(3.0):
                while True:
                    try:
                        async with self.ctx.clock.timeout(_QUIET_S):
                            await self._link.read()
                    except TimeoutError:
                        break
        self._rx.clear()

    # -- connection ------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._link = SerialLink(
            self.opts.port, self.opts.baudrate, self.ctx.clock, coalesce_s=self.opts.read_coalesce_s
        )
        await self._link.open()
        try:
            await self._configure()
        except BaseException:
            await self._link.close()
            self._link = None
            raise
        return self

    async def _configure(self) -> None:
        await self._quiesce()
        await self._command(p.set_sensors(p.SENSOR_GSR | (p.SENSOR_INT_A13 if self.opts.ppg else 0)))
        await self._command(p.set_sampling_rate(self.opts.rate_hz))
        await self._command(p.set_gsr_range(self.opts.gsr_range))
        try:
            inq = p.parse_inquiry(await self._command(bytes((p.INQUIRY,)), "inquiry"))
        except ProtocolError as err:
            raise DeviceError(f"Shimmer on {self.opts.port} sent a bad inquiry reply: {err}") from err
        wanted = {p.CH_GSR} | ({p.CH_PPG_A13} if self.opts.ppg else set())
        if not wanted <= set(inq.channels) or inq.rate_ticks != p.rate_to_ticks(self.opts.rate_hz):
            raise DeviceError(
                f"Shimmer on {self.opts.port} kept channels {[hex(c) for c in inq.channels]} at "
                f"{inq.rate_hz:.2f} Hz after being configured"
            )
        batt = await self._command(bytes((p.GET_BATTERY,)), "battery")
        if batt[:2] == bytes((p.INSTREAM, p.BATTERY_RESPONSE)):
            self.battery_v = p.battery_volts(batt[2], batt[3])
        self.inquiry = inq
        self._decoder = p.StreamDecoder(inq)
        self._dclock = DeviceClock(tick_hz=p.TICK_HZ, wrap_ticks=p.TICK_WRAP)
        self._last_u = None
        await self._command(bytes((p.START_STREAMING,)))
        self._battery_due = self.ctx.clock.now() + self.opts.battery_interval_s
        self.log.info(
            "shimmer.connected",
            port=self.opts.port,
            rate_hz=inq.rate_hz,
            battery_v=self.battery_v,
            channels=[hex(c) for c in inq.channels],
        )

    async def __aexit__(self, *exc_info: object) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        with contextlib.suppress(DeviceError, TimeoutError):
            async with self.ctx.clock.timeout(0.5):
                await link.write(bytes((p.STOP_STREAMING,)))
        await link.close()

    # -- streaming --------------------------------------------------------------------

    async def chunks(self) -> AsyncIterator[Chunk | Quality]:
        assert self._link is not None and self._decoder is not None
        pending, self._rx = bytes(self._rx), bytearray()  # packets that came with START's ACK
        while True:
            if pending:
                t_arrival, data = self.ctx.clock.now(), pending
                pending = b""
            else:
                t_arrival, data = await self._link.read()
            packets, events = self._decoder.feed(data)
            for ev in events:
                if ev.kind == "battery":
                    self.battery_v = p.battery_volts(ev.data[0], ev.data[1])
            if packets:
                for item in self._emit(packets, t_arrival):
                    yield item
            if self.ctx.clock.now() >= self._battery_due:
                self._battery_due = self.ctx.clock.now() + self.opts.battery_interval_s
                await self._link.write(bytes((p.GET_BATTERY,)))  # answered in-stream

    def _emit(self, packets: list[bytes], t_arrival: float) -> list[Chunk | Quality]:
        assert self._decoder is not None and self._dclock is not None and self.inquiry is not None
        dec, period_s = self._decoder, self.inquiry.rate_ticks / p.TICK_HZ
        device_s = self._dclock.unwrap(dec.ticks(packets))
        seqs = np.empty(len(packets), dtype=np.int64)
        for i, u in enumerate(device_s.tolist()):
            if self._last_u is None:
                s = self._next_seq
            else:
                k = max(1, round((u - self._last_u) / period_s))
                if k > 1:
                    self.counters["gaps"] += 1
                    self.counters["missing_samples"] += k - 1
                s = self._last_seq + k
            seqs[i] = s
            self._last_u, self._last_seq = u, s
        self._next_seq = int(seqs[-1]) + 1
        t = self._dclock.stamp(device_s, t_arrival)
        gsr_us, is_open = gsr_to_microsiemens(dec.values(packets, p.CH_GSR), self.opts.gsr_range)
        ppg_mv = dec.values(packets, p.CH_PPG_A13) * (3000.0 / 4095) if self.opts.ppg else None
        out: list[Chunk | Quality] = []
        self.counters["samples"] += len(packets)
        breaks = np.flatnonzero(np.diff(seqs) != 1) + 1
        for lo, hi in zip([0, *breaks.tolist()], [*breaks.tolist(), len(packets)], strict=True):
            sl = slice(lo, hi)
            seq = int(seqs[lo])
            out.append(Chunk(self.ctx.device_id, self.gsr_spec, seq, t[sl], gsr_us[sl], device_t=device_s[sl]))
            if ppg_mv is not None:
                out.append(Chunk(self.ctx.device_id, self.ppg_spec, seq, t[sl], ppg_mv[sl], device_t=device_s[sl]))
        if bool(is_open.any()) != self._open:
            self._open = not self._open
            at = float(t[int(np.argmax(is_open))]) if self._open else float(t[0])
            reason = "GSR electrodes open (reading below the amplifier reference)" if self._open else "GSR contact back"
            out.append(Quality(self.ctx.device_id, "gsr", at, not self._open, reason))
        return out

    def stats(self) -> dict[str, Any]:
        dec = dict(self._decoder.counters) if self._decoder else {}
        link = self._link.stats() if self._link else {}
        return {**dec, **dict(self.counters), "battery_v": self.battery_v, **link}
