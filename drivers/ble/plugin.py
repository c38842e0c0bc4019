"""Entry-point descriptors of the BLE drivers. Imports nothing heavy (no bleak)."""

from __future__ import annotations

from agent.plugin import DriverPlugin
from drivers.ble.options import HeartRateOptions, PolarH10Options

HEART_RATE = DriverPlugin(
    name="ble-heart-rate",
    summary="any standard BLE heart-rate strap (Polar, Garmin, Wahoo…): heart rate, RR intervals, skin contact, battery",
    options=HeartRateOptions,
    target="drivers.ble.heart_rate_driver:HeartRateDriver",
    extra="ble",
    hardware="ble",
    target_option="name",
    address_option="address",
    example={"address": "A0:9E:1A:12:34:56"},
)

POLAR_H10 = DriverPlugin(
    name="polar-h10",
    summary="Polar H10 raw ECG at 130 Hz and acceleration over PMD, plus heart rate and RR",
    options=PolarH10Options,
    target="drivers.ble.polar_h10_driver:PolarH10Driver",
    extra="ble",
    hardware="ble",
    target_option="name",
    address_option="address",
    example={"name": "Polar H10 12345678", "acc": True, "acc_rate_hz": 200},
)
