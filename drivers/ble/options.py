"""Typed options of the BLE drivers (pydantic only: imported by ``plugin``)."""

from __future__ import annotations

import re
from typing import Literal

import pydantic

from agent.plugin import DriverOptions

_MAC = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


class BleOptions(DriverOptions):
    """Which strap to use and how hard to try. Give ``address`` or ``name``, not both."""

    address: str | None = pydantic.Field(None, description="Bluetooth address, e.g. A0:9E:1A:12:34:56")
    name: str | None = pydantic.Field(None, min_length=1, description="advertised name, e.g. 'Polar H10 12345678'")
    adapter: str | None = pydantic.Field(
        None, pattern=r"^hci[0-9]+$", description="BlueZ adapter; default: the first powered one"
    )
    scan_timeout_s: float = pydantic.Field(
        10.0, gt=0, description="how long to look for the strap before DeviceNotFound"
    )
    connect_timeout_s: float = pydantic.Field(20.0, gt=0, description="limit for one connection attempt")
    connect_attempts: int = pydantic.Field(
        3, ge=1, le=10, description="attempts on BlueZ's transient errors before giving up"
    )
    # Resubscribe after this much silence; twice it and the link is stalled (DeviceStalled, the
    # supervisor reconnects). Keep 2x under the supervisor's stall deadline so resubscribing gets its chance.
    stall_timeout_s: float = pydantic.Field(
        2.5, gt=0, description="silence before resubscribing; twice that and the link is stalled"
    )
    battery_poll_s: float = pydantic.Field(300.0, gt=0, description="how often to read the battery level")

    @pydantic.field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper().replace("-", ":")
        if not _MAC.match(v):
            raise ValueError(f"{v!r} is not a Bluetooth address like A0:9E:1A:12:34:56")
        return v

    @pydantic.model_validator(mode="after")
    def _one_target(self) -> BleOptions:
        if (self.address is None) == (self.name is None):
            raise ValueError("give exactly one of 'address' or 'name'")
        return self

    @property
    def target(self) -> str:
        return self.address or f"name {self.name!r}"


class HeartRateOptions(BleOptions):
    """A standard heart-rate strap: everything it needs is common to BLE straps."""


class PolarH10Options(BleOptions):
    ecg: bool = pydantic.Field(True, description="stream raw ECG at 130 Hz")
    acc: bool = pydantic.Field(True, description="stream acceleration")
    acc_rate_hz: Literal[25, 50, 100, 200] = 200
    acc_range_g: Literal[2, 4, 8] = 8
    heart_rate: bool = pydantic.Field(True, description="also stream heart rate and RR from the Heart Rate Service")
    min_mtu: int = pydantic.Field(232, ge=23, le=517, description="ATT MTU a 73-sample ECG frame needs")
    stall_timeout_s: float = pydantic.Field(1.2, gt=0)  # frames come every 0.18-0.56 s

    @pydantic.model_validator(mode="after")
    def _streams_chosen(self) -> PolarH10Options:
        if not (self.ecg or self.acc or self.heart_rate):
            raise ValueError("enable at least one of 'ecg', 'acc', 'heart_rate'")
        return self
