"""A Shimmer3 GSR+ emulator: the Bluetooth serial protocol on a pseudo-terminal.

Product code, for tests and for technicians without a band at hand:

    python -m drivers.shimmer.emulator --link /tmp/shimmer0

then point the ``shimmer-gsr`` driver at ``/tmp/shimmer0``. It answers the
commands the driver uses (inquiry, rates, sensors, GSR range, battery,
start/stop), and streams 24-bit 32768 Hz timestamps (starting near the wrap
unless told otherwise) with GSR from a real EDA recording, auto-ranged as
the GSR+ does, and PPG from a real PPG recording on A13. Faults can be
injected: line noise between packets, and unplugging (closing the master).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import struct
import tty
from pathlib import Path

import numpy as np

from agent.plugin import Clock, data_root
from drivers.shimmer import protocol as p
from drivers.shimmer.gsr import microsiemens_to_gsr

FILE_HZ = 100
_ARGS = {
    p.INQUIRY: 0,
    p.GET_SAMPLING_RATE: 0,
    p.SET_SAMPLING_RATE: 2,
    p.START_STREAMING: 0,
    p.STOP_STREAMING: 0,
    p.SET_SENSORS: 3,
    p.SET_GSR_RANGE: 1,
    p.GET_GSR_RANGE: 0,
    p.GET_BATTERY: 0,
}


def load_signals(root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(EDA µS, PPG) at 100 Hz from the shared NeuroKit2 recordings."""
    folder = (root or data_root()) / "biosignal-samples"
    eda = np.loadtxt(folder / "bio_resting_8min_100hz.csv", delimiter=",", skiprows=1, usecols=2)
    ppg = np.loadtxt(folder / "bio_resting_5min_100hz.csv", delimiter=",", skiprows=1, usecols=1)
    return eda, ppg


def ppg_to_adc(ppg: np.ndarray) -> np.ndarray:
    """The recording's PPG onto a 12-bit ADC around mid-scale, as the optical probe's output."""
    return np.clip(np.round(2048 + 1500 * ppg / max(1e-9, float(np.max(np.abs(ppg))))), 0, 4095).astype(np.int64)


class ShimmerEmulator:
    """Plays a Shimmer3 GSR+ on the master side of a pty (asyncio, one task)."""

    def __init__(
        self,
        master_fd: int,
        eda_us: np.ndarray,
        ppg: np.ndarray,
        *,
        clock: Clock | None = None,
        start_tick: int = p.TICK_WRAP - 3 * p.TICK_HZ,
        channel_order: tuple[int, ...] = (p.CH_PPG_A13, p.CH_GSR),
        battery_raw: int = 2650,
    ) -> None:
        self.fd = master_fd
        self.clock = clock or Clock()
        self.gsr_raw = microsiemens_to_gsr(eda_us)
        self.ppg_adc = ppg_to_adc(ppg)
        self.start_tick = start_tick
        self.channel_order = channel_order
        self.battery_raw = battery_raw
        self.rate_ticks = 64  # 512 Hz, the LogAndStream default
        self.sensors = p.SENSOR_GSR
        self.gsr_range = 4
        self.streaming = False
        self.sent_packets = 0
        self.dropped_packets = 0
        self.garbage_every = 0  # insert line noise before every Nth packet (0: never)
        self.garbage_inserted = 0
        self.electrodes_off = False  # fault: the band came off the skin (open circuit on range 3)
        self._rx = bytearray()
        self._t0 = self.clock.now()
        self._next_sample = 0
        self._rand = random.Random(7)
        os.set_blocking(master_fd, False)

    # -- device time ------------------------------------------------------------

    def _elapsed_ticks(self) -> int:
        return int((self.clock.now() - self._t0) * p.TICK_HZ)

    def channels(self) -> tuple[int, ...]:
        on = {p.CH_GSR: bool(self.sensors & p.SENSOR_GSR), p.CH_PPG_A13: bool(self.sensors & p.SENSOR_INT_A13)}
        return tuple(c for c in self.channel_order if on[c])

    def packet(self, elapsed: int) -> bytes:
        """The packet for the sample taken ``elapsed`` ticks after power-on."""
        idx = elapsed * FILE_HZ // p.TICK_HZ
        out = bytearray((p.DATA,)) + ((self.start_tick + elapsed) % p.TICK_WRAP).to_bytes(3, "little")
        for c in self.channels():
            if c == p.CH_GSR:
                v = (3 << 14) | 300 if self.electrodes_off else self.gsr_raw[idx % len(self.gsr_raw)]
            else:
                v = self.ppg_adc[idx % len(self.ppg_adc)]
            out += int(v).to_bytes(2, "little")
        return bytes(out)

    # -- serial side ---------------------------------------------------------------

    def _write(self, data: bytes) -> bool:
        try:
            return os.write(self.fd, data) == len(data)
        except (BlockingIOError, OSError):
            return False  # nobody reading: a real radio link drops these too

    def _on_readable(self) -> None:
        try:
            self._rx += os.read(self.fd, 256)
        except OSError:
            return
        while self._rx:
            code = self._rx[0]
            n = _ARGS.get(code)
            if n is None:
                del self._rx[0]  # the firmware ignores bytes it does not know
                continue
            if len(self._rx) < 1 + n:
                return
            args = bytes(self._rx[1 : 1 + n])
            del self._rx[: 1 + n]
            self._write(bytes((p.ACK,)) + self._respond(code, args))

    def _respond(self, code: int, args: bytes) -> bytes:
        if code == p.INQUIRY:
            chans = self.channels()
            config = bytes((self.sensors & 0xFF, (self.sensors >> 8) & 0xFF, 0x01, 0x09))
            return (
                struct.pack("<BH", p.INQUIRY_RESPONSE, self.rate_ticks) + config + bytes((len(chans), 1)) + bytes(chans)
            )
        if code == p.GET_SAMPLING_RATE:
            return struct.pack("<BH", p.SAMPLING_RATE_RESPONSE, self.rate_ticks)
        if code == p.SET_SAMPLING_RATE:
            self.rate_ticks = max(1, int.from_bytes(args, "little"))
        elif code == p.SET_SENSORS:
            self.sensors = int.from_bytes(args, "little")
        elif code == p.SET_GSR_RANGE:
            self.gsr_range = args[0]
        elif code == p.GET_GSR_RANGE:
            return bytes((p.GSR_RANGE_RESPONSE, self.gsr_range))
        elif code == p.GET_BATTERY:
            return bytes((p.INSTREAM, p.BATTERY_RESPONSE)) + struct.pack("<HB", self.battery_raw, 1)
        elif code == p.START_STREAMING and not self.streaming:
            self.streaming = True
            # The first sample is taken now, on the sampling timer's grid.
            now = self._elapsed_ticks()
            self._next_sample = -(-now // self.rate_ticks) * self.rate_ticks
        elif code == p.STOP_STREAMING:
            self.streaming = False
        return b""

    async def run(self) -> None:
        """Serve until cancelled or closed."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self.fd, self._on_readable)
        try:
            while True:
                await self.clock.sleep(0.01)
                if self.streaming:
                    self._stream_due()
        finally:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self.fd)

    def _stream_due(self) -> None:
        now = self._elapsed_ticks()
        out = bytearray()
        while self._next_sample <= now:
            self.sent_packets += 1
            if self.garbage_every and self.sent_packets % self.garbage_every == 0:
                out += bytes(self._rand.randrange(256) for _ in range(self._rand.randrange(1, 12)))
                self.garbage_inserted += 1
            out += self.packet(self._next_sample)
            self._next_sample += self.rate_ticks
        if out and not self._write(bytes(out)):
            self.dropped_packets += 1

    def close(self) -> None:
        """Unplug: the master closes, so the host's reads fail."""
        with contextlib.suppress(OSError):
            asyncio.get_running_loop().remove_reader(self.fd)
        with contextlib.suppress(OSError):
            os.close(self.fd)


async def serve(link: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)  # keep the slave open: the "band" stays paired while no host is connected
    if link.is_symlink():
        link.unlink()
    link.symlink_to(os.ttyname(slave))
    print(f"ready {link} -> {os.ttyname(slave)}", flush=True)
    eda, ppg = load_signals()
    try:
        await ShimmerEmulator(master, eda, ppg).run()
    finally:
        link.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--link", type=Path, required=True, help="symlink to create to the emulated port")
    args = ap.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.link))


if __name__ == "__main__":
    main()
