"""What the fake straps send: a heart-rate strap playing a real RR series, and
a Polar H10 playing a real ECG recording as PMD frames (test infrastructure).

Time is the agent :class:`~agent.base.clock.Clock` the test shares with the
driver, so a sped-up clock plays the recordings faster. Every strap keeps a
ground truth (true beat times, true frame times, send times) for the tests.
"""

import asyncio
import time
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from agent.base.clock import Clock
from agent.base.datasets import data_root
from drivers.ble import pmd
from drivers.ble.hrs import Contact, HeartRateMeasurement, encode_heart_rate
from drivers.ble.pmd import Measurement, Setting, Status
from drivers.ble.uuids import (
    BATTERY_LEVEL,
    BATTERY_SERVICE,
    BODY_SENSOR_LOCATION,
    HEART_RATE_MEASUREMENT,
    HEART_RATE_SERVICE,
    PMD_CONTROL_POINT,
    PMD_DATA,
    PMD_SERVICE,
)
from tests.drivers.ble.fake_bluez import Peripheral
from tests.drivers.ble.fake_bluez_gatt import CharSpec, ServiceSpec

NEVER_SET_NS = 599_616_000_000_000_000  # 2019-01-01 in ns since 2000: an H10 whose clock was never set


def real_rr_ms() -> np.ndarray:
    """A real 5-minute NN series (pyhrv sample, ms)."""
    return np.loadtxt(data_root() / "rr-intervals" / "pyhrv_SampleNNISeriesShort_ms.txt")


def real_ecg_uv_130hz() -> np.ndarray:
    """50 s of real single-lead ECG (NeuroKit2 sample, 1000 Hz, mV), resampled to the H10's 130 Hz in µV."""
    mv = np.loadtxt(data_root() / "biosignal-samples" / "ecg_1000hz.csv", skiprows=1, delimiter=",", usecols=0)
    return np.round(resample_poly(mv, 13, 100) * 1000.0).astype(np.int64)


@dataclass
class Sent:
    """One notification the strap sent: what, when (agent clock), and real send time."""

    data: bytes
    t: float
    perf: float


class HeartRateSource:
    """A heart beating at the intervals of a real recording, and the 0x2A37 notifications about it."""

    def __init__(self, clock: Clock, rr_ms: np.ndarray, char: CharSpec, *, interval_s: float = 1.0) -> None:
        self.clock, self.char, self.interval_s = clock, char, interval_s
        self.rr_raw = np.round(np.asarray(rr_ms) * 1.024).astype(np.int64)  # 1/1024 s, as a strap sends
        self.t0 = 0.0
        self.beat_t = np.cumsum(self.rr_raw) / 1024.0  # the truth: when each beat happened (from start())
        self.next_beat = 0  # first beat not yet reported
        self.contact = True
        self.stalled = False  # connected, but nothing is sent (a stuck notification path)
        self.heal_on_resubscribe = True  # whether the host resubscribing unsticks it
        self.sent: list[Sent] = []
        self.sent_beats: list[int] = []  # indices of the beats actually reported, in order
        char.on_subscribe = self._on_subscribe
        self.task: asyncio.Task[None] | None = None

    def _on_subscribe(self, on: bool) -> None:
        if on and self.heal_on_resubscribe:
            self.stalled = False

    def start(self) -> None:
        self.t0 = self.clock.now()
        self.beat_t = self.beat_t + self.t0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        next_t = self.t0 + self.interval_s
        while self.next_beat < len(self.beat_t):
            await self.clock.sleep_until(next_t)
            next_t += self.interval_s
            done = int(np.searchsorted(self.beat_t, self.clock.now(), side="right"))
            new = self.rr_raw[self.next_beat : done]
            self.next_beat = done  # beats nobody hears are lost, as with a real strap
            if self.stalled or not self.char.notifying:
                continue
            if self.contact:
                hr = round(60 * 1024 / new[-1]) if len(new) else 0
                m = HeartRateMeasurement(hr, Contact.DETECTED, None, tuple(int(r) for r in new), False, bool(len(new)))
                if self.send(encode_heart_rate(m)):
                    self.sent_beats.extend(range(done - len(new), done))
            else:
                self.send(encode_heart_rate(HeartRateMeasurement(255, Contact.NOT_DETECTED)))

    def send(self, data: bytes) -> bool:
        perf = time.perf_counter()  # before the bytes go out: the reader may run first
        if not self.char.notify(data):
            return False
        self.sent.append(Sent(data, self.clock.now(), perf))
        return True

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()


def _hr_service(battery: int) -> tuple[ServiceSpec, ServiceSpec, CharSpec]:
    hrm = CharSpec(HEART_RATE_MEASUREMENT, ["notify"])
    hrs = ServiceSpec(HEART_RATE_SERVICE, [hrm, CharSpec(BODY_SENSOR_LOCATION, ["read"], bytes([1]))])
    bas = ServiceSpec(BATTERY_SERVICE, [CharSpec(BATTERY_LEVEL, ["read", "notify"], bytes([battery]))])
    return hrs, bas, hrm


class HeartRateStrap(Peripheral):
    """A standard strap (Garmin HRM-Dual, Wahoo TICKR…): Heart Rate and Battery services."""

    def __init__(
        self, clock: Clock, address: str, name: str = "HRM-Dual:123456", *, rr_ms: np.ndarray | None = None
    ) -> None:
        hrs, bas, hrm = _hr_service(battery=87)
        super().__init__(address, name, [HEART_RATE_SERVICE], [hrs, bas])
        self.hr = HeartRateSource(clock, real_rr_ms() if rr_ms is None else rr_ms, hrm)

    def connection_changed(self, connected: bool) -> None:
        if connected and self.hr.task is None:
            self.hr.start()
        if not connected:
            self.hr.stalled = False  # a new connection is a new notification path


class PolarH10(Peripheral):
    """A Polar H10: Heart Rate, Battery and PMD (ECG 130 Hz, ACC) services."""

    def __init__(
        self, clock: Clock, address: str, name: str = "Polar H10 ABCD1234", *, drift_ppm: float = 40.0
    ) -> None:
        hrs, bas, hrm = _hr_service(battery=96)
        self.cp = CharSpec(
            PMD_CONTROL_POINT, ["read", "write", "indicate"], on_read=lambda: pmd.encode_features({0, 2})
        )
        self.data = CharSpec(PMD_DATA, ["notify"], on_subscribe=self._on_data_subscribe)
        self.cp.on_write = self._on_command
        super().__init__(
            address, name, [HEART_RATE_SERVICE, PMD_SERVICE], [hrs, bas, ServiceSpec(PMD_SERVICE, [self.cp, self.data])]
        )
        self.clock = clock
        self.hr = HeartRateSource(clock, real_rr_ms(), hrm)
        self.ecg = real_ecg_uv_130hz()
        self.t0 = clock.now()
        self.drift = drift_ppm * 1e-6
        self.streams: dict[int, asyncio.Task[None]] = {}
        self.commands: list[tuple[pmd.Command, bool]] = []  # and whether indications were on
        self.frames: dict[int, tuple[float, float]] = {}  # sensor ts -> (true agent t of last sample, perf send time)
        self.stalled = False
        self.repair_on_resubscribe = True

    def sensor_ns(self, t: float) -> int:
        """The sensor's clock at agent time ``t``: never set, and running 40 ppm fast."""
        return NEVER_SET_NS + round((t - self.t0) * (1 + self.drift) * 1e9)

    def _on_data_subscribe(self, on: bool) -> None:
        if on and self.repair_on_resubscribe:
            self.stalled = False

    def connection_changed(self, connected: bool) -> None:
        if connected and self.hr.task is None:
            self.hr.start()
        if not connected:  # the H10 stops streaming when the link goes
            for task in self.streams.values():
                task.cancel()
            self.streams.clear()
            self.stalled = self.hr.stalled = False

    def stall(self, heal_on_resubscribe: bool = True) -> None:
        """The link stays up but nothing arrives any more."""
        self.stalled = self.hr.stalled = True
        self.repair_on_resubscribe = self.hr.heal_on_resubscribe = heal_on_resubscribe

    def start_times(self, m: Measurement) -> int:
        return sum(1 for c, _ in self.commands if c.op == pmd.Op.START and c.measurement == m)

    def _reply(self, op: int, m: int, status: int, params: bytes = b"") -> None:
        self.cp.notify(pmd.Response(op, m, status, False, params).encode())

    def _on_command(self, payload: bytes) -> None:
        cmd = pmd.decode_command(payload)
        self.commands.append((cmd, self.cp.notifying))
        mtu = self.cp.iface.mtu if self.cp.iface is not None else 23
        if cmd.op == pmd.Op.GET_SETTINGS:
            offered = {
                Measurement.ECG: {Setting.SAMPLE_RATE: (130,), Setting.RESOLUTION: (14,)},
                Measurement.ACC: {
                    Setting.SAMPLE_RATE: (25, 50, 100, 200),
                    Setting.RESOLUTION: (16,),
                    Setting.RANGE: (2, 4, 8),
                },
            }.get(cmd.measurement)
            if offered is None:
                return self._reply(cmd.op, cmd.measurement, Status.NOT_SUPPORTED)
            return self._reply(cmd.op, cmd.measurement, Status.OK, pmd.encode_settings(offered))
        if cmd.op == pmd.Op.STOP:
            task = self.streams.pop(cmd.measurement, None)
            if task is not None:
                task.cancel()
            return self._reply(cmd.op, cmd.measurement, Status.OK if task else Status.ALREADY_IN_STATE)
        # START
        if mtu < 232:
            return self._reply(cmd.op, cmd.measurement, Status.INVALID_MTU)
        if not cmd.settings:
            return self._reply(cmd.op, cmd.measurement, Status.INVALID_PARAMETER)
        if cmd.measurement in self.streams:
            return self._reply(cmd.op, cmd.measurement, Status.ALREADY_IN_STATE)
        rate = cmd.settings[Setting.SAMPLE_RATE][0]
        self._reply(cmd.op, cmd.measurement, Status.OK)
        if cmd.measurement == Measurement.ECG:
            self.streams[cmd.measurement] = asyncio.create_task(self._stream(Measurement.ECG, rate, 73))
        else:
            per_frame = (mtu - 3 - 10) // 6
            self.streams[cmd.measurement] = asyncio.create_task(self._stream(Measurement.ACC, rate, per_frame))

    def _samples(self, m: Measurement, k0: int, n: int) -> np.ndarray:
        k = np.arange(k0, k0 + n)
        if m == Measurement.ECG:
            return self.ecg[k % len(self.ecg)]
        breathing = np.sin(2 * np.pi * 0.25 * k / 200.0)  # a chest rising and falling on a patient lying still
        return np.stack([np.round(20 * breathing), np.round(-30 + 5 * breathing), np.full(n, 998)], axis=1).astype(
            np.int64
        )

    async def _stream(self, m: Measurement, rate: int, per_frame: int) -> None:
        start = self.clock.now()
        k = 0
        frame_type = 0 if m == Measurement.ECG else 1
        while True:
            last_t = start + (k + per_frame - 1) / rate  # when the frame's last sample is taken
            await self.clock.sleep_until(last_t)
            samples = self._samples(m, k, per_frame)
            k += per_frame
            if self.stalled:
                continue
            ts = self.sensor_ns(last_t)
            frame = pmd.encode_frame(m, ts, frame_type, samples)
            perf = time.perf_counter()  # before the bytes go out: the reader may run first
            if self.data.notify(frame):
                self.frames[ts] = (last_t, perf)
