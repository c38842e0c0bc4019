"""Typed options of the simulated devices (pydantic only: imported by ``plugin``).

Every simulated device carries the scenario options (seed and phase
durations). Devices that share them describe the same simulated person, so
the defaults give four coherent devices.
"""

from __future__ import annotations

import enum
from typing import Self

import pydantic

from agent.plugin import DriverOptions

MUSE_CHANNELS = ("TP9", "AF7", "AF8", "TP10")
EIGHT_CHANNELS = ("Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2")  # a common 8-channel 10-20 montage


class FaultKind(enum.StrEnum):
    DISCONNECT = "disconnect"  # the device goes away: chunks() raises, connecting fails until the window ends
    DROPOUT = "dropout"  # samples are lost while connected: seq jumps
    FLATLINE = "flatline"  # the signal sticks at its last value
    NOISE_BURST = "noise_burst"  # large broadband noise (motion artefact)
    CONTACT_LOSS = "contact_loss"  # sensor off the skin: strap reports it; others read the open-lead value


class Fault(pydantic.BaseModel):
    """One fault window, in scenario seconds (agent time since the agent started)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    at_s: float = pydantic.Field(ge=0.0)
    duration_s: float = pydantic.Field(gt=0.0)

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s


class SimulatedOptions(DriverOptions):
    """The scenario and the faults; shared by every simulated device."""

    seed: int = pydantic.Field(default=0, ge=0, description="same seed, same samples")
    baseline_s: float = pydantic.Field(default=120.0, gt=0.0, description="resting baseline phase")
    stressor_s: float = pydantic.Field(default=90.0, gt=0.0, description="stressor phase")
    recovery_s: float = pydantic.Field(default=90.0, gt=0.0, description="recovery phase; then the cycle repeats")
    faults: tuple[Fault, ...] = ()
    disconnect_every_s: float | None = pydantic.Field(default=None, gt=0.0, description="repeated disconnects")
    disconnect_for_s: float = pydantic.Field(default=5.0, gt=0.0)

    @pydantic.model_validator(mode="after")
    def _disconnects_leave_time_connected(self) -> Self:
        if self.disconnect_every_s is not None and self.disconnect_for_s >= self.disconnect_every_s:
            raise ValueError(
                f"disconnect_for_s ({self.disconnect_for_s}) must be shorter than "
                f"disconnect_every_s ({self.disconnect_every_s})"
            )
        return self


class ChestStrapOptions(SimulatedOptions):
    """A BLE heart-rate strap: one notification a second with the beats since the last."""

    notify_period_s: float = pydantic.Field(default=1.0, ge=0.25, le=5.0)


class EcgOptions(SimulatedOptions):
    """A Polar-H10-like ECG: 130 Hz µV frames of 73 samples, device clock never set."""

    clock_drift_ppm: float = pydantic.Field(default=30.0, ge=-500.0, le=500.0, description="device clock rate error")
    noise_uv: float = pydantic.Field(default=6.0, ge=0.0, description="white measurement noise, µV rms")


class GsrOptions(SimulatedOptions):
    """A skin-conductance band."""

    rate_hz: float = pydantic.Field(default=128.0, ge=4.0, le=256.0)


class EegOptions(SimulatedOptions):
    """An EEG headset at 256 Hz; 4 (Muse-like, the default) to 8 channels, named by their 10-20 labels."""

    channels: tuple[str, ...] = MUSE_CHANNELS

    @pydantic.field_validator("channels")
    @classmethod
    def _four_to_eight_distinct(cls, channels: tuple[str, ...]) -> tuple[str, ...]:
        if not 4 <= len(channels) <= 8:
            raise ValueError(f"an EEG headset has 4 to 8 channels, got {len(channels)}")
        if len(set(channels)) != len(channels):
            raise ValueError(f"channel labels must be distinct, got {channels}")
        return channels
