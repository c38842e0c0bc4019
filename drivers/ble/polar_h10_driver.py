"""Polar H10: raw ECG (130 Hz) and acceleration over PMD, plus heart rate and RR.

Start-up after every connect: enable indications on the PMD control point
(before writing to it), read the features, subscribe to the data
characteristic, then for each measurement GET its settings and START it
with the chosen ones. The H10 answers "invalid MTU" until the ATT MTU is
large enough for a frame; BlueZ has no call to request an MTU (it
exchanges its own maximum, 517, right after connecting), so the driver
reads the negotiated MTU and retries START until the exchange is done.
"""

from __future__ import annotations

import asyncio
import random
from typing import ClassVar

from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from agent.plugin import (
    Backoff,
    BoundedQueue,
    Chunk,
    DeviceError,
    Discovered,
    DriverContext,
    Overflow,
    ProtocolError,
    Quality,
)
from drivers.ble import pmd
from drivers.ble.driver_base import BleDriverBase
from drivers.ble.link import Notification
from drivers.ble.options import PolarH10Options
from drivers.ble.pmd import Measurement, Setting, Status
from drivers.ble.pmd_streams import PmdStreams
from drivers.ble.scan import scan
from drivers.ble.uuids import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE, PMD_CONTROL_POINT, PMD_DATA, PMD_SERVICE

COMMAND_TIMEOUT_S = 5.0  # real seconds for a control-point round trip
STOP_TIMEOUT_S = 1.0  # leaving anyway: do not hold up a reconnect for a polite STOP
MTU_RETRIES = 6

ECG_RATE_HZ = 130
ECG_RESOLUTION = 14
ACC_RESOLUTION = 16


def _is_polar_h10(device: BLEDevice, adv: AdvertisementData) -> str | None:
    name = adv.local_name or device.name or ""
    if name.startswith("Polar H10") or PMD_SERVICE in adv.service_uuids:
        return "Polar H10 (ECG, ACC, heart rate)"
    return None


class PolarH10Driver(BleDriverBase):
    options: ClassVar[type[PolarH10Options]] = PolarH10Options

    def __init__(self, options: PolarH10Options, context: DriverContext) -> None:
        super().__init__(options, context, services=(HEART_RATE_SERVICE, PMD_SERVICE))
        self.h10 = options
        self.pmd = PmdStreams(context.device_id, context.log)
        self.features: frozenset[int] = frozenset()
        self.started: dict[Measurement, pmd.Settings] = {}
        self._responses: BoundedQueue[pmd.Response] = BoundedQueue("pmd-cp", 8, Overflow.DROP_OLDEST)
        self.cp_malformed = 0

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return await scan("polar-h10", timeout_s, _is_polar_h10)

    # -- control point ----------------------------------------------------------

    def _on_control_point(self, _t: float, data: bytes) -> None:
        try:
            self._responses.put(pmd.decode_response(data))
        except ProtocolError as exc:
            self.cp_malformed += 1
            self.log.warning("ble.pmd.cp.malformed", error=str(exc))

    async def _command(self, payload: bytes, timeout_s: float = COMMAND_TIMEOUT_S) -> pmd.Response:
        """Write a command and wait for the indication that answers it."""
        op, measurement = payload[0], payload[1]
        while self._responses.get_nowait() is not None:
            pass  # answers to commands that timed out earlier
        await self.link.write(PMD_CONTROL_POINT, payload)
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    r = await self._responses.get()
                    if r.op == op and r.measurement == measurement:
                        return r
        except TimeoutError:
            raise DeviceError(f"{self.config.target}: no answer to PMD command {payload.hex(' ')}") from None

    def _choose(self, m: Measurement, available: pmd.Settings) -> pmd.Settings:
        if m is Measurement.ECG:
            wanted = {Setting.SAMPLE_RATE: ECG_RATE_HZ, Setting.RESOLUTION: ECG_RESOLUTION}
        else:
            wanted = {
                Setting.SAMPLE_RATE: self.h10.acc_rate_hz,
                Setting.RESOLUTION: ACC_RESOLUTION,
                Setting.RANGE: self.h10.acc_range_g,
            }
        chosen: pmd.Settings = {}
        for kind, value in wanted.items():
            offered = available.get(kind)
            if offered is None:
                continue  # the sensor has no choice for it
            if value not in offered:
                raise DeviceError(
                    f"{self.config.target}: {m.name} {kind.name.lower()} {value} not offered (offers {list(offered)})"
                )
            chosen[kind] = (value,)
        return chosen

    async def _start_measurement(self, m: Measurement) -> None:
        if m not in self.features:
            raise DeviceError(
                f"{self.config.target}: the sensor does not offer {m.name} (features {sorted(self.features)})"
            )
        settings = self.started.get(m)
        if settings is None:
            reply = await self._command(pmd.get_settings(m))
            if not reply.ok:
                raise DeviceError(f"{self.config.target}: PMD GET {m.name} settings refused: {reply.status_name}")
            try:
                settings = self._choose(m, reply.settings())
            except ProtocolError as exc:
                raise DeviceError(f"{self.config.target}: unreadable PMD {m.name} settings ({exc})") from exc
        backoff = Backoff(0.2, 2.0, rng=random.Random())
        for attempt in range(1, MTU_RETRIES + 1):
            reply = await self._command(pmd.start(m, settings))
            if reply.ok or reply.status == Status.ALREADY_IN_STATE:
                break
            if reply.status != Status.INVALID_MTU or attempt == MTU_RETRIES:
                raise DeviceError(
                    f"{self.config.target}: PMD START {m.name} refused: {reply.status_name} (ATT MTU {self.link.mtu(PMD_DATA)})"
                )
            delay = backoff.next_delay()
            self.log.info(
                "ble.pmd.mtu_wait", mtu=self.link.mtu(PMD_DATA), needed=self.h10.min_mtu, retry_in_s=round(delay, 2)
            )
            await asyncio.sleep(delay)  # BlueZ's MTU exchange runs in real time
        self.started[m] = settings
        rate = settings.get(Setting.SAMPLE_RATE, (ECG_RATE_HZ,))[0]
        self.pmd.expect(m, rate)
        self.log.info(
            "ble.pmd.started", measurement=m.name, settings={k.name.lower(): v[0] for k, v in settings.items()}
        )

    # -- lifecycle hooks ---------------------------------------------------------

    def _wanted(self) -> list[Measurement]:
        return [m for m, on in ((Measurement.ECG, self.h10.ecg), (Measurement.ACC, self.h10.acc)) if on]

    async def _start(self) -> None:
        if self._wanted():
            if not (self.link.has(PMD_CONTROL_POINT) and self.link.has(PMD_DATA)):
                raise DeviceError(f"{self.config.target}: no PMD service; is it a Polar H10?")
            # Indications first: the sensor answers on the control point only when they are on.
            await self.link.subscribe(PMD_CONTROL_POINT, self._on_control_point)
            try:
                self.features = pmd.decode_features(await self.link.read(PMD_CONTROL_POINT))
            except ProtocolError as exc:
                raise DeviceError(f"{self.config.target}: unreadable PMD features ({exc})") from exc
            await self.link.subscribe(PMD_DATA)
            for m in self._wanted():
                await self._start_measurement(m)
        if self.h10.heart_rate:
            await self._start_heart_rate()

    async def _restart_streams(self) -> None:
        await self.link.resubscribe()
        for m in self._wanted():
            await self._command(pmd.stop(m), timeout_s=STOP_TIMEOUT_S)  # whatever it thinks it is doing
            await self._start_measurement(m)

    async def _stop(self) -> None:
        for m in list(self.started):
            await self._command(pmd.stop(m), timeout_s=STOP_TIMEOUT_S)

    def _route(self, n: Notification) -> list[Chunk | Quality]:
        if n.uuid == PMD_DATA:
            chunk = self.pmd.on_frame(n.data, n.t)
            return [chunk] if chunk is not None else []
        if n.uuid == HEART_RATE_MEASUREMENT:
            return self.hr.on_notification(n.data, n.t)
        return []

    def stats(self) -> dict[str, object]:
        return {
            **super().stats(),
            "pmd_frames": self.pmd.frames,
            "pmd_malformed": self.pmd.malformed,
            "pmd_missing_samples": self.pmd.missing_samples,
            "cp_malformed": self.cp_malformed,
        }
