"""Short, human-readable reasons from the model's contributions.

A clinician reading "heart rate +18% vs baseline, SCR rate x3" can check
the decision against what they see; a list of z-scores they cannot. Each
feature says how its change is best told: a percentage, a ratio, or a
difference in its own unit.
"""

from __future__ import annotations

import math

import numpy as np

from agent.baseline import Profile
from agent.features import FEATURE_NAMES, FEATURE_UNITS, FeatureVector

_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}
# feature -> (what a person calls it, how to tell its change: "pct", "ratio" or "diff")
PHRASES: dict[str, tuple[str, str]] = {
    "hr_bpm": ("heart rate", "pct"),
    "mean_nn_ms": ("beat interval", "pct"),
    "sdnn_ms": ("HRV (SDNN)", "pct"),
    "rmssd_ms": ("HRV (RMSSD)", "pct"),
    "pnn50_pct": ("pNN50", "diff"),
    "lf_ms2": ("LF power", "pct"),
    "hf_ms2": ("HF power", "pct"),
    "lf_hf": ("LF/HF", "ratio"),
    "scl_us": ("skin conductance", "pct"),
    "scl_slope_us_per_min": ("skin conductance trend", "diff"),
    "scr_rate_per_min": ("SCR rate", "ratio"),
    "scr_amplitude_us": ("SCR size", "ratio"),
    "scr_rise_s": ("SCR rise time", "diff"),
    "scr_recent": ("fresh SCRs", "diff"),
    "eeg_faa": ("frontal alpha asymmetry", "diff"),
}
MIN_Z = 1.0  # a feature within one baseline spread is not a reason


def phrase(name: str, value: float, baseline: float) -> str:
    label, style = PHRASES.get(name, (name.removeprefix("eeg_").removesuffix("_rel") + " power", "pct"))
    if style == "ratio" and baseline > 0 and value > 0:
        return f"{label} x{value / baseline:.1f} vs baseline"
    if style == "pct" and baseline != 0 and math.isfinite(baseline):
        return f"{label} {(value - baseline) / abs(baseline) * 100:+.0f}% vs baseline"
    unit = FEATURE_UNITS[name]
    return f"{label} {value - baseline:+.2g} {unit} vs baseline"


def explain(contributions: list[tuple[str, float]], fv: FeatureVector, profile: Profile,
            z: np.ndarray, limit: int = 3) -> list[str]:
    """The features pushing hardest towards the decision's side, told against the baseline."""
    out = []
    for name, _ in contributions:
        i = _INDEX[name]
        value = fv[name]
        if value is None or abs(float(z[i])) < MIN_Z:
            continue
        base = float(profile.mean[i])
        if not math.isfinite(base):
            continue
        out.append(phrase(name, value, base))
        if len(out) == limit:
            break
    return out
