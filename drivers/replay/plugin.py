"""The ``replay`` driver's descriptor and typed options (imports nothing heavy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pydantic

from agent.plugin import DriverOptions, DriverPlugin

Positive = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False)]
FormatName = Literal[
    "auto", "wesad-npz", "e4-folder", "muse-csv", "rr-intervals", "eegmat-npz", "biosignal-csv", "opensignals-txt"
]


class ReplayOptions(DriverOptions):
    """Play a recording from the shared data folder as live streams.

    ``path`` is a file or an E4 session folder; a relative path is resolved
    against ``agent.base.datasets.data_root()`` when the driver connects.
    ``speed`` is a multiple of real time, or ``"max"`` for as fast as the
    consumer takes chunks (timestamps then run ahead of the clock, on the
    recording's own timeline). ``start_s``/``duration_s`` play a slice, in
    seconds from the recording's start; ``streams`` keeps only the named streams.
    """

    path: Path
    format: FormatName = "auto"
    speed: Positive | Literal["max"] = 1.0
    loop: bool = False
    start_s: NonNegative = 0.0
    duration_s: Positive | None = None
    streams: tuple[str, ...] | None = None

    @pydantic.field_validator("path")
    @classmethod
    def _path_not_empty(cls, v: Path) -> Path:
        if str(v) in ("", "."):
            raise ValueError("path must name a recording file or folder")
        return v

    @pydantic.field_validator("streams")
    @classmethod
    def _streams_distinct(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and (not v or len(set(v)) != len(v)):
            raise ValueError("streams must list at least one stream name, each once")
        return v


REPLAY = DriverPlugin(
    name="replay",
    summary="plays real recordings (WESAD, Stress-Predict E4, Muse, EEGMAT, RR series, NeuroKit CSVs, BITalino) as live streams",
    options=ReplayOptions,
    target="drivers.replay.driver:ReplayDriver",
    extra=None,
    hardware="none",
    target_option="path",
    plays_recordings=True,
    example={"path": "wesad-wrist/S5_wrist.npz", "speed": 1.0},
)
