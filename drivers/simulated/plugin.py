"""Entry-point descriptors of the simulated devices (light: pydantic and agent only)."""

from __future__ import annotations

from agent.plugin import DriverPlugin
from drivers.simulated.options import (
    EIGHT_CHANNELS,
    ChestStrapOptions,
    EcgOptions,
    EegOptions,
    GsrOptions,
)

CHEST_STRAP = DriverPlugin(
    name="sim-chest-strap",
    summary="Simulated BLE heart-rate chest strap: RR intervals and HR, once a second",
    options=ChestStrapOptions,
    target="drivers.simulated.chest_strap:SimulatedChestStrap",
    extra=None,
    hardware="none",
    id_hint="chest-strap",
    example={
        "seed": 7,
        "faults": [{"kind": "contact_loss", "at_s": 200.0, "duration_s": 15.0}],
    },
)

ECG = DriverPlugin(
    name="sim-ecg",
    summary="Simulated Polar-H10-like ECG: 130 Hz, µV, 73-sample frames, device clock near 2019",
    options=EcgOptions,
    target="drivers.simulated.ecg:SimulatedEcg",
    extra=None,
    hardware="none",
    id_hint="ecg",
    example={"seed": 7, "clock_drift_ppm": 30.0, "disconnect_every_s": 600.0, "disconnect_for_s": 20.0},
)

GSR = DriverPlugin(
    name="sim-gsr",
    summary="Simulated skin-conductance band: tonic level and SCRs that follow arousal, µS",
    options=GsrOptions,
    target="drivers.simulated.gsr:SimulatedGsr",
    extra=None,
    hardware="none",
    id_hint="gsr",
    example={"seed": 7, "rate_hz": 128.0, "faults": [{"kind": "dropout", "at_s": 60.0, "duration_s": 3.0}]},
)

EEG = DriverPlugin(
    name="sim-eeg",
    summary="Simulated EEG headset: 256 Hz, µV, 1/f background, alpha and beta that follow arousal, blinks",
    options=EegOptions,
    target="drivers.simulated.eeg:SimulatedEeg",
    extra=None,
    hardware="none",
    id_hint="eeg",
    example={"seed": 7, "channels": list(EIGHT_CHANNELS)},
)
