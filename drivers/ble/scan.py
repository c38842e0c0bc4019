"""One BLE scan, filtered for a driver family, for ``edge-agent scan``."""

from __future__ import annotations

from collections.abc import Callable

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from agent.plugin import Discovered, ScanUnavailable
from drivers.ble.bluez_errors import cannot_scan, translate

Match = Callable[[BLEDevice, AdvertisementData], str | None]  # details if it is one of ours, else None


async def scan(driver: str, timeout_s: float, match: Match) -> list[Discovered]:
    """Devices that ``match`` accepts, strongest signal first."""
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except Exception as exc:
        why = cannot_scan(exc)
        if why is not None:
            raise ScanUnavailable(*why) from exc
        raise translate(exc, "Bluetooth", "scanning") from exc
    out = []
    for device, adv in found.values():
        details = match(device, adv)
        if details is not None:
            name = adv.local_name or device.name or ""
            out.append(Discovered(driver, name, device.address, adv.rssi, details))
    return sorted(out, key=lambda d: -(d.rssi if d.rssi is not None else -127))
