"""Every feature, once: name, unit, group, baseline floor, which way it moves with calm, how to read it.

The extractor's order and units (:mod:`agent.core.features`), the baseline's floors and
re-anchoring (:mod:`agent.core.baseline`) and the reasons a clinician reads
(:mod:`agent.core.reasons`, docs/reasons.md) are all derived from :data:`FEATURES`; a test
fails when an entry lacks a part. Adding a feature: one entry here, its computation in
:mod:`agent.core.features` (and ``agent/core/signals/``), a retrained model.

Order, names, units and floors are part of the model contract: a model records them, and the
runtime refuses a model whose features differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agent.core.signals.eeg import BAND_NAMES

GROUPS: tuple[str, ...] = ("cardiac", "eda", "eeg")


@dataclass(frozen=True, slots=True)
class Reading:
    """How a clinician reads a change: the words of a reason and of the glossary."""

    up: str  # what a rise means, in a clinician's words
    down: str
    measure: str  # the measurement, named as a clinician would
    style: Literal["pct", "diff", "both"]  # change in %, change in its unit, or value against resting value
    unit: str  # as a reason shows it (µS, not uS); "" for none
    meaning: str  # the glossary's line


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    unit: str  # as the model contract records it
    group: str  # "cardiac", "eda" or "eeg": the quality report that vouches for it
    floor: float  # the smallest baseline spread, in its unit: a change below it is not worth a decision
    calm: Literal[-1, 0, 1]  # falls (-1) or rises (+1) as a person calms, re-anchoring the baseline; 0: neither
    reading: Reading


# gamma is named for what it carries at a headband, muscle near the sensors as well as the brain (EEGMAT's
# EEG, which trained it, had muscle removed by ICA: the model card's Known limits)
_BANDS = {"delta": ("slow-wave brain rhythm", "deep relaxation or drowsiness"),
          "theta": ("drowsy brain rhythm", "drowsiness, inward focus"),
          "alpha": ("relaxed brain rhythm", "relaxed wakefulness; falls with alertness or anxiety"),
          "beta": ("busy-thinking brain rhythm", "active thinking, alertness, tension"),
          "gamma": ("fast activity, brain or muscle", "fast activity; also muscle tension near the sensors")}


def _band(band: str) -> FeatureSpec:
    what, meaning = _BANDS[band]
    return FeatureSpec(f"eeg_{band}_rel", "fraction", "eeg", 0.02, 0, Reading(
        f"more {what}", f"less {what}", f"{band} share", "pct", "", f"{band} band's share of EEG power: {meaning}"))


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("hr_bpm", "bpm", "cardiac", 2.0, -1, Reading(  # last 10 s: the fast path
        "heart beating faster", "heart beating slower", "heart rate", "pct", "bpm",
        "beats per minute over the last 10 s")),
    FeatureSpec("mean_nn_ms", "ms", "cardiac", 20.0, 1, Reading(
        "heart beating slower", "heart beating faster", "time between beats", "pct", "ms",
        "mean interval between normal beats")),
    FeatureSpec("sdnn_ms", "ms", "cardiac", 5.0, 0, Reading(
        "heart rhythm more variable", "heart rhythm less variable", "HRV SDNN", "pct", "ms",
        "overall beat-to-beat variability; falls under stress")),
    FeatureSpec("rmssd_ms", "ms", "cardiac", 5.0, 1, Reading(
        "heart rhythm more variable", "heart rhythm less variable", "HRV RMSSD", "pct", "ms",
        "short-term variability, driven by the calming (vagal) system; falls under stress")),
    FeatureSpec("pnn50_pct", "%", "cardiac", 3.0, 1, Reading(
        "heart rhythm more variable", "heart rhythm less variable", "HRV pNN50", "diff", "points",
        "share of successive beats differing by over 50 ms")),
    FeatureSpec("lf_ms2", "ms^2", "cardiac", 100.0, 0, Reading(
        "slow heart-rhythm swings stronger", "slow heart-rhythm swings weaker", "LF power", "pct", "ms²",
        "heart-rhythm swings at 0.04–0.15 Hz")),
    FeatureSpec("hf_ms2", "ms^2", "cardiac", 100.0, 1, Reading(
        "breathing-linked heart rhythm stronger", "breathing-linked heart rhythm weaker", "HF power", "pct", "ms²",
        "heart-rhythm swings with breathing (0.15–0.4 Hz); a sign of the calming system")),
    FeatureSpec("lf_hf", "ratio", "cardiac", 0.3, 0, Reading(
        "heart rhythm tilted towards arousal", "heart rhythm tilted towards rest", "LF/HF", "both", "",
        "balance of slow to breathing-linked swings")),
    FeatureSpec("scl_us", "uS", "eda", 0.1, -1, Reading(
        "sweating more", "sweating less", "skin conductance", "diff", "µS",
        "tonic skin conductance: how much the skin sweats overall")),
    FeatureSpec("scl_slope_us_per_min", "uS/min", "eda", 0.05, 0, Reading(
        "sweating rising", "sweating falling", "skin conductance", "diff", "µS/min",
        "how fast skin conductance is changing")),
    FeatureSpec("scr_rate_per_min", "1/min", "eda", 1.0, -1, Reading(
        "more sweat responses", "fewer sweat responses", "responses", "both", "/min",
        "skin conductance responses (brief sweat bursts) per minute")),
    FeatureSpec("scr_amplitude_us", "uS", "eda", 0.05, -1, Reading(
        "larger sweat responses", "smaller sweat responses", "response size", "both", "µS",
        "mean height of the skin conductance responses")),
    FeatureSpec("scr_rise_s", "s", "eda", 0.5, 0, Reading(
        "sweat responses rising more slowly", "sweat responses rising faster", "rise time", "diff", "s",
        "time a skin conductance response takes to peak")),
    FeatureSpec("scr_recent", "count", "eda", 0.5, 0, Reading(  # SCR onsets in the last 10 s: the fast path
        "sweat responses just now", "fewer sweat responses just now", "in the last 10 s", "diff", "",
        "skin conductance responses in the last 10 s")),
    *(_band(band) for band in BAND_NAMES),
    FeatureSpec("eeg_faa", "ln(uV^2/uV^2)", "eeg", 0.1, 0, Reading(
        "frontal brain activity tilted towards approach", "frontal brain activity tilted towards withdrawal",
        "frontal alpha asymmetry", "diff", "", "right minus left frontal alpha (log); lower goes with negative feelings")),
    FeatureSpec("eeg_theta_frontal_rel", "fraction", "eeg", 0.02, 0, Reading(
        "more concentrating brain rhythm at the forehead", "less concentrating brain rhythm at the forehead",
        "frontal theta share", "pct", "",
        "theta's share of 4-30 Hz EEG power at the frontal sites: rises with mental effort")),
    FeatureSpec("eeg_alpha_frontal_rel", "fraction", "eeg", 0.02, 0, Reading(
        "more relaxed brain rhythm at the forehead", "less relaxed brain rhythm at the forehead",
        "frontal alpha share", "pct", "", "alpha's share of 4-30 Hz EEG power at the frontal sites")),
    FeatureSpec("eeg_alpha_rear_rel", "fraction", "eeg", 0.02, 0, Reading(
        "more relaxed brain rhythm at the sides", "less relaxed brain rhythm at the sides", "temporal alpha share",
        "pct", "", "alpha's share of 4-30 Hz EEG power at the temporal and posterior sites: falls with effort")),
)
