"""Entry-point descriptor of the Shimmer3 GSR+ driver (light: pydantic and agent only)."""

from __future__ import annotations

import pydantic

from agent.plugin import DriverOptions, DriverPlugin


class ShimmerOptions(DriverOptions):
    """A Shimmer3 GSR+ paired as a Bluetooth serial port."""

    port: str = pydantic.Field(description="the rfcomm device bound to the band, e.g. /dev/rfcomm0")
    baudrate: int = pydantic.Field(115200, gt=0)
    rate_hz: float = pydantic.Field(128.0, gt=0.5, le=1024.0)
    gsr_range: int = pydantic.Field(4, ge=0, le=4, description="0-3 fixed range, 4 auto")
    ppg: bool = pydantic.Field(True, description="also stream the optical pulse probe on internal ADC A13")
    reply_timeout_s: float = pydantic.Field(1.0, gt=0)
    read_coalesce_s: float = pydantic.Field(
        0.05, ge=0, le=0.5, description="gather bytes this long before waking the agent: CPU against latency"
    )
    command_attempts: int = pydantic.Field(3, ge=1)
    battery_interval_s: float = pydantic.Field(60.0, gt=0, description="read the battery this often while streaming")


SHIMMER_GSR = DriverPlugin(
    name="shimmer-gsr",
    summary="Shimmer3 GSR+ over Bluetooth serial: skin conductance (µS) and PPG, 24-bit 32768 Hz device clock",
    options=ShimmerOptions,
    target="drivers.shimmer.driver:ShimmerDriver",
    extra="serial",
    hardware="bluetooth-serial",
    target_option="port",
    example={"port": "/dev/rfcomm0", "rate_hz": 128.0, "gsr_range": 4, "ppg": True},
)
