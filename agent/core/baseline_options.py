"""``[baseline]``: the settings of calibration, the stored profile and re-anchoring (:mod:`agent.core.baseline`,
:class:`agent.core.anchor.Anchor`). Apart from the baseline itself so that its defaults, several chosen by
nested LOSO, can be read in one place."""

from __future__ import annotations

from pathlib import Path

import pydantic


class BaselineOptions(pydantic.BaseModel):
    """``[baseline]``: calibration at session start and the stored profile."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    calibration_s: float = pydantic.Field(
        120.0, ge=10, description="seconds of trustworthy data at a session's start to calibrate on, per sensor group")
    min_samples: int = pydantic.Field(20, ge=2, description="ticks a feature needs during calibration to get a baseline")
    profile: Path | None = pydantic.Field(None, description="stored profile; default state_dir/baseline.json")
    blend: float = pydantic.Field(0.3, gt=0, le=1, description="weight of a new calibration in the stored profile")
    use_stored: bool = pydantic.Field(True, description="start from the stored profile instead of holding")
    anchor_tau_s: float = pydantic.Field(  # chosen by nested LOSO (python -m models.anchor)
        600.0, ge=0, allow_inf_nan=False,
        description="after calibration, the resting level follows a calmer stretch with this time constant (0: never)",
    )
    anchor_smooth_s: float = pydantic.Field(
        60.0, gt=0, allow_inf_nan=False, description="how long a stretch must be calmer to count (smoothing)",
    )
    skin_anchor_tau_s: float = pydantic.Field(  # chosen by nested LOSO (models/skin_anchor.py)
        300.0, ge=0, allow_inf_nan=False,
        description="while the heart is calm (see skin_anchor_heart_margin), skin conductance's resting level also "
        "follows it upwards with this time constant (sweating stays up for the hour after a stressor; 0: never)",
    )
    skin_anchor_heart_s: float = pydantic.Field(  # chosen by nested LOSO (models/skin_heart.py)
        300.0, ge=0, allow_inf_nan=False,
        description="for how long after the heart rate was last trustworthy its calm still lets skin conductance's "
        "resting level follow upwards (a wrist pulse's quality gate holds about half the time; 0: only while it is)",
    )
    skin_anchor_heart_margin: float = pydantic.Field(  # chosen by nested LOSO (models/skin_margin.py)
        0.06, ge=0, le=0.5, allow_inf_nan=False,
        description="how far over its resting rate the heart's smoothed rate may be and still count as calm for "
        "skin conductance's re-anchoring, as a fraction (a resting heart's smoothed rate sits above its mean "
        "half the time; 0: at or below it)",
    )
