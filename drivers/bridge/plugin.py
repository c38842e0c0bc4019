"""Entry-point descriptor of the edge-bridge driver (light: pydantic and agent only)."""

from __future__ import annotations

import pydantic

from agent.plugin import DriverOptions, DriverPlugin


class BridgeOptions(DriverOptions):
    """A sensor band speaking firmware-bridge/PROTOCOL.md on a serial port."""

    port: str = pydantic.Field(description="serial device, preferably a stable /dev/serial/by-id/... link")
    baudrate: int = pydantic.Field(115200, gt=0)
    rate_hz: float | None = pydantic.Field(
        None, gt=0, le=1_000_000 / 1000, description="ask the band for this sampling rate; None keeps its own"
    )
    reply_timeout_s: float = pydantic.Field(1.0, gt=0, description="wait this long for each command's ACK")
    read_coalesce_s: float = pydantic.Field(
        0.05, ge=0, le=0.5, description="gather bytes this long before waking the agent: CPU against latency"
    )
    command_attempts: int = pydantic.Field(3, ge=1, description="a command lost to line noise is sent again")


BRIDGE = DriverPlugin(
    name="bridge",
    summary="Microcontroller sensor band (e.g. GSR on an Arduino/ESP32) over the edge-bridge serial protocol",
    options=BridgeOptions,
    target="drivers.bridge.driver:BridgeDriver",
    extra="serial",
    hardware="serial",
    target_option="port",
    example={"port": "/dev/serial/by-id/usb-edge-bridge-gsr-01", "baudrate": 115200, "rate_hz": 128.0},
)
