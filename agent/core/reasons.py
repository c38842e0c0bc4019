"""Reasons a patient's clinician can read, from the model's contributions.

Each reason says in plain words what changed, then the measurement behind
it against the patient's own resting profile: "heart beating faster (heart
rate +37 % over resting)", "sweating rising (skin conductance +3.2 µS/min)".
One unit system throughout (µS, ms, bpm), the same as the live view's. The
glossary in docs/reasons.md is generated from :data:`PLAIN` and checked by
a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from agent.core.baseline import Profile
from agent.core.features import FEATURE_NAMES, FeatureVector

_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True, slots=True)
class Plain:
    up: str  # what a rise means, in a clinician's words
    down: str
    measure: str  # the measurement, named as a clinician would
    style: str  # "pct": change in %; "diff": change in its unit; "both": value vs resting value
    unit: str = ""
    meaning: str = ""  # for the glossary


_BANDS = {"delta": ("slow-wave", "deep relaxation or drowsiness"), "theta": ("drowsy", "drowsiness, inward focus"),
          "alpha": ("relaxed", "relaxed wakefulness; falls with alertness or anxiety"),
          "beta": ("busy-thinking", "active thinking, alertness, tension"),
          "gamma": ("fast", "fast activity; also muscle tension near the sensors")}

PLAIN: dict[str, Plain] = {
    "hr_bpm": Plain("heart beating faster", "heart beating slower", "heart rate", "pct", "bpm",
                    "beats per minute over the last 10 s"),
    "mean_nn_ms": Plain("heart beating slower", "heart beating faster", "time between beats", "pct", "ms",
                        "mean interval between normal beats"),
    "sdnn_ms": Plain("heart rhythm more variable", "heart rhythm less variable", "HRV SDNN", "pct", "ms",
                     "overall beat-to-beat variability; falls under stress"),
    "rmssd_ms": Plain("heart rhythm more variable", "heart rhythm less variable", "HRV RMSSD", "pct", "ms",
                      "short-term variability, driven by the calming (vagal) system; falls under stress"),
    "pnn50_pct": Plain("heart rhythm more variable", "heart rhythm less variable", "HRV pNN50", "diff", "points",
                       "share of successive beats differing by over 50 ms"),
    "lf_ms2": Plain("slow heart-rhythm swings stronger", "slow heart-rhythm swings weaker", "LF power", "pct", "ms²",
                    "heart-rhythm swings at 0.04–0.15 Hz"),
    "hf_ms2": Plain("breathing-linked heart rhythm stronger", "breathing-linked heart rhythm weaker", "HF power",
                    "pct", "ms²", "heart-rhythm swings with breathing (0.15–0.4 Hz); a sign of the calming system"),
    "lf_hf": Plain("heart rhythm tilted towards arousal", "heart rhythm tilted towards rest", "LF/HF", "both", "",
                   "balance of slow to breathing-linked swings"),
    "scl_us": Plain("sweating more", "sweating less", "skin conductance", "diff", "µS",
                    "tonic skin conductance: how much the skin sweats overall"),
    "scl_slope_us_per_min": Plain("sweating rising", "sweating falling", "skin conductance", "diff", "µS/min",
                                  "how fast skin conductance is changing"),
    "scr_rate_per_min": Plain("more sweat responses", "fewer sweat responses", "responses", "both", "/min",
                              "skin conductance responses (brief sweat bursts) per minute"),
    "scr_amplitude_us": Plain("larger sweat responses", "smaller sweat responses", "response size", "both", "µS",
                              "mean height of the skin conductance responses"),
    "scr_rise_s": Plain("sweat responses rising more slowly", "sweat responses rising faster", "rise time", "diff",
                        "s", "time a skin conductance response takes to peak"),
    "scr_recent": Plain("sweat responses just now", "fewer sweat responses just now", "in the last 10 s", "diff",
                        "", "skin conductance responses in the last 10 s"),
    **{f"eeg_{band}_rel": Plain(f"more {word} brain rhythm", f"less {word} brain rhythm", f"{band} share", "pct",
                                "", f"{band} band's share of EEG power: {meaning}")
       for band, (word, meaning) in _BANDS.items()},
    "eeg_faa": Plain("frontal brain activity tilted towards approach", "frontal brain activity tilted towards "
                     "withdrawal", "frontal alpha asymmetry", "diff", "",
                     "right minus left frontal alpha (log); lower goes with negative feelings"),
}
MIN_Z = 1.0  # a feature within one baseline spread is not a reason


def _num(x: float) -> str:
    return f"{x:+.2g}" if abs(x) < 10 else f"{x:+.0f}"


def phrase(name: str, value: float, baseline: float) -> str:
    p = PLAIN.get(name) or Plain(f"{name} up", f"{name} down", name, "diff")
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
            z: np.ndarray, limit: int = 3) -> list[str]:
    """The features pushing hardest towards the decision's side, told against the resting profile."""
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


def glossary() -> str:
    """The table in docs/reasons.md."""
    rows = ["| reason (rise / fall) | measured | what it is |", "|---|---|---|"]
    for name, p in PLAIN.items():
        rows.append(f"| {p.up} / {p.down} | {p.measure} (`{name}`) | {p.meaning} |")
    return "\n".join(rows) + "\n"
