"""Any standard BLE heart-rate strap (Heart Rate Service 0x180D) through bleak.

Streams ``hr`` (bpm, as reported), ``rr`` (beat-to-beat intervals in s,
one sample per beat at the beat's time), ``energy`` when the strap sends
it, and ``battery``; skin contact lost or regained is a Quality event.
"""

from __future__ import annotations

from typing import ClassVar

from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from agent.plugin import Chunk, Discovered, DriverContext, Quality
from drivers.ble.driver_base import BleDriverBase
from drivers.ble.link import Notification
from drivers.ble.options import HeartRateOptions
from drivers.ble.scan import scan
from drivers.ble.uuids import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE


def _is_heart_rate_strap(device: BLEDevice, adv: AdvertisementData) -> str | None:
    return "heart rate service" if HEART_RATE_SERVICE in adv.service_uuids else None


class HeartRateDriver(BleDriverBase):
    options: ClassVar[type[HeartRateOptions]] = HeartRateOptions

    def __init__(self, options: HeartRateOptions, context: DriverContext) -> None:
        super().__init__(options, context, services=(HEART_RATE_SERVICE,))

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return await scan("ble-heart-rate", timeout_s, _is_heart_rate_strap)

    async def _start(self) -> None:
        await self._start_heart_rate()

    def _route(self, n: Notification) -> list[Chunk | Quality]:
        if n.uuid == HEART_RATE_MEASUREMENT:
            return self.hr.on_notification(n.data, n.t)
        return []
