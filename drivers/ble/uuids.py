"""GATT UUIDs the BLE drivers use (sensor-protocols.md §1-2), as bleak spells them."""

from __future__ import annotations


def uuid16(short: int) -> str:
    """A Bluetooth SIG 16-bit UUID in the 128-bit lowercase form bleak reports."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HEART_RATE_SERVICE = uuid16(0x180D)
HEART_RATE_MEASUREMENT = uuid16(0x2A37)
BODY_SENSOR_LOCATION = uuid16(0x2A38)
HEART_RATE_CONTROL_POINT = uuid16(0x2A39)
BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
