"""Reasons a patient's clinician can read, from the model's contributions.

Each reason says in plain words what changed, then the measurement behind
it against the patient's own resting profile: "heart beating faster (heart
rate +37 % over resting)", "sweating rising (skin conductance +3.2 µS/min)".
One unit system throughout (µS, ms, bpm), the same as the live view's. The
glossary in docs/reasons.md is generated from each feature's reading
(:mod:`agent.core.feature_specs`) and checked by a test.
"""

from __future__ import annotations

import math

import numpy as np

from agent.core.baseline import Profile
from agent.core.feature_specs import FEATURES, Reading
from agent.core.features import FEATURE_NAMES, FeatureVector

_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}

# The words for each feature (FeatureSpec.reading), in feature order.
PLAIN: dict[str, Reading] = {f.name: f.reading for f in FEATURES}
MIN_Z = 1.0  # a feature within one baseline spread is not a reason
SENSOR_WORDS = {"cardiac": "heart", "eda": "skin", "eeg": "EEG"}  # a sensor group as a reason names it
# Above calm, never "within baseline": the readings are back near rest and the dwell or smoothing holds the
# level, or several changes each under one spread add up (then those changes are named, however small).
EASING = "easing (readings back near resting)"
SMALL_CHANGES = "several small changes from resting"


def refreshing(groups: tuple[str, ...], progress: float) -> str:
    """While decisions run, the calibration still under way: "refreshing heart baseline (40%)"."""
    which = " and ".join(SENSOR_WORDS[g] for g in groups)
    return f"refreshing {which} baseline ({progress:.0%})" if which else f"refreshing baseline ({progress:.0%})"


def without_baseline(groups: tuple[str, ...], calibrating: bool) -> str:
    """Why a trustworthy sensor does not vote: it has no resting level yet. It is calibrating (it joined late),
    or its calibration saw too few of its values and the next session's will take it."""
    which = " and ".join(SENSOR_WORDS[g] for g in groups) or "sensor"
    return f"waiting for the {which} baseline ({'calibrating' if calibrating else 'next session'})"


def _num(x: float) -> str:
    return f"{x:+.2g}" if abs(x) < 10 else f"{x:+.0f}"


def phrase(name: str, value: float, baseline: float) -> str:
    p = PLAIN.get(name) or Reading(f"{name} up", f"{name} down", name, "diff", "", "")
    words = p.up if value >= baseline else p.down
    unit = f" {p.unit}" if p.unit else ""
    if p.style == "pct" and baseline != 0 and math.isfinite(baseline):
        pct = (value - baseline) / abs(baseline) * 100
        side = "over" if pct >= 0 else "under"
        return f"{words} ({p.measure} {_num(pct)} % {side} resting)"
    if p.style == "both":
        return f"{words} ({p.measure} {value:.2g}{unit}, resting {baseline:.2g}{unit})"
    return f"{words} ({p.measure} {_num(value - baseline)}{unit} vs resting)"


def explain(contributions: list[tuple[str, float]], fv: FeatureVector, profile: Profile,
            z: np.ndarray, limit: int = 3, min_z: float = MIN_Z) -> list[str]:
    """The features pushing hardest towards the decision's side, told against the resting profile."""
    out = []
    for name, _ in contributions:
        i = _INDEX[name]
        value = fv[name]
        if value is None or abs(float(z[i])) < min_z:
            continue
        base = float(profile.mean[i])
        if not math.isfinite(base):
            continue
        out.append(phrase(name, value, base))
        if len(out) == limit:
            break
    return out


def glossary() -> str:
    """The table in docs/reasons.md."""
    rows = ["| reason (rise / fall) | measured | what it is |", "|---|---|---|"]
    for name, p in PLAIN.items():
        rows.append(f"| {p.up} / {p.down} | {p.measure} (`{name}`) | {p.meaning} |")
    return "\n".join(rows) + "\n"
