"""Entry-point descriptor of the LSL driver (light: pydantic and agent only; no pylsl)."""

from __future__ import annotations

from typing import Literal, Self

import pydantic

from agent.plugin import DriverOptions, DriverPlugin


def _no_quotes(value: str | None) -> str | None:
    # The value goes into an XPath predicate; LSL names never need quotes.
    if value is not None and ("'" in value or '"' in value or not value.strip()):
        raise ValueError("must be non-empty and contain no quotes")
    return value


class LslOptions(DriverOptions):
    """Which LSL stream to read, and what it must look like.

    Any of ``stream_type``, ``name``, ``source_id`` and ``hostname`` select
    the stream; all that are given must match. Muse: ``name = "Muse"`` (type
    EEG by default). OpenBCI GUI: select by ``name`` (``obci_eeg1``), since
    all its streams share one source_id.
    """

    stream_type: str | None = pydantic.Field("EEG", description="LSL content type, e.g. EEG")
    name: str | None = pydantic.Field(None, description="LSL stream name, e.g. Muse or obci_eeg1")
    source_id: str | None = pydantic.Field(None, description="LSL source_id, e.g. Muse00:55:DA:B0:12:34")
    hostname: str | None = pydantic.Field(None, description="the machine that publishes the stream")
    channels: int | None = pydantic.Field(None, ge=1, le=1024, description="expected channel count")
    channel_format: Literal["float32", "double64", "int32", "int16", "int8", "int64"] | None = pydantic.Field(
        None, description="expected sample format"
    )
    labels: tuple[str, ...] | None = pydantic.Field(None, description="channel names, when the stream has none")
    resolve_timeout_s: float = pydantic.Field(5.0, gt=0, le=60, description="how long connecting looks for it")
    loss_after_s: float = pydantic.Field(1.0, gt=0, le=60, description="silence that means the stream is lost")
    give_up_after_s: float = pydantic.Field(
        30.0, gt=0, description="re-resolve this long after a loss, then report the device disconnected"
    )
    buffer_s: int = pydantic.Field(10, ge=1, le=360, description="liblsl inlet buffer")
    max_chunk: int = pydantic.Field(512, ge=1, le=65536, description="most samples taken per pull")

    _check_quotes = pydantic.field_validator("stream_type", "name", "source_id", "hostname")(_no_quotes)

    @pydantic.field_validator("labels")
    @classmethod
    def _labels_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and (len(set(value)) != len(value) or any(not v.strip() for v in value)):
            raise ValueError("channel labels must be non-empty and unique")
        return value

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> Self:
        if not any((self.stream_type, self.name, self.source_id, self.hostname)):
            raise ValueError("set at least one of stream_type, name, source_id, hostname")
        if self.labels is not None and self.channels is not None and len(self.labels) != self.channels:
            raise ValueError(f"labels names {len(self.labels)} channels, channels says {self.channels}")
        return self

    def selectors(self) -> dict[str, str | None]:
        return {
            "stream_type": self.stream_type,
            "name": self.name,
            "source_id": self.source_id,
            "hostname": self.hostname,
        }


LSL = DriverPlugin(
    name="lsl",
    hardware="network",
    target_option="name",
    summary="EEG over Lab Streaming Layer (Muse via muselsl, OpenBCI GUI, any LSL outlet); loopback unless LSLAPICFG",
    options=LslOptions,
    target="drivers.lsl.driver:LslDriver",
    extra="lsl",
    example={"stream_type": "EEG", "name": "Muse", "channels": 5},
)
