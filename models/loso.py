"""Leave-one-subject-out through the agent's core, calibrating exactly as a deployed agent does.

Each subject's ticks come from ``models.extract`` (the feature half of the
core, as ``edge-agent replay`` runs it) and are decided by the core's policy
half (:meth:`agent.core.engine.Core.decide`) with a model exported to ONNX and
loaded by the runtime, trained without that subject. Calibration starts at
the recording's start with no knowledge of where rest is. A test holds this
to ``edge-agent replay`` byte for byte (``tests/models/test_loso.py``).

Scored per subject and pooled: macro-F1 of ``distress >= 0.5`` against the
label over decided ticks (not hold) with a scored label, and coverage (the
share of scored ticks after calibration that were decided); on WESAD also
the level metrics (delay to *distressed*, time at each level during rest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from agent import config as agent_config
from agent.base.driver import Registry
from agent.config import AgentConfig
from agent.core.baseline import PatientBaseline
from agent.core.features import FEATURE_NAMES, GROUP_OF, GROUPS, FeatureVector
from agent.core.model import ModelOptions
from agent.core.signals.quality import QualityReport
from agent.core.ticker import Tick
from agent.replay import build_core, tick_line
from models.datasets import Dataset
from models.extract import FeatureTable

REST_LIMIT = {"rest_distressed_share": 0.02, "rest_elevated_or_above_share": 0.10}  # the level targets


SETTINGS = ""  # TOML the evaluation runs with: empty, the agent's defaults (what ships)


def config_for(model_dir: Path | None = None, text: str | None = None) -> AgentConfig:
    base = agent_config.parse(SETTINGS if text is None else text, "<training>", Registry())
    if model_dir is None:
        return base
    return AgentConfig(base.source, base.top.model_copy(update={"model": ModelOptions(dir=model_dir)}), [])


def table_ticks(table: FeatureTable, min_quality: float, start: int = 0, keep: np.ndarray | None = None) -> list[Tick]:
    """The table's ticks as the core's policy half receives them (``keep``: only these features worn)."""
    available = table.available if keep is None else table.available & keep
    out = []
    for i in range(start, len(table.t)):
        quality = {g: QualityReport(float(table.quality[i, k]), ()) for k, g in enumerate(GROUPS)}
        out.append(Tick(FeatureVector(float(table.t[i]), table.values[i], available[i], quality,
                                      dict.fromkeys(GROUPS), min_quality)))
    return out


_HEART, _SKIN = (GROUP_OF == GROUPS.index(g) for g in ("cardiac", "eda"))


@dataclass
class Deployed:
    """What the deployed baseline makes of a subject: z-scores and which ticks were past calibration."""

    z: np.ndarray  # (n, F)
    usable: np.ndarray  # (n, F)
    calibrated: np.ndarray  # (n,) the agent had a baseline at this tick


def deployed(ticks: list[Tick], config: AgentConfig) -> Deployed:
    baseline = PatientBaseline(config.top.baseline.model_copy(update={"use_stored": False}), store=None)
    n, f = len(ticks), len(FEATURE_NAMES)
    z = np.zeros((n, f), np.float32)
    usable = np.zeros((n, f), bool)
    calibrated = np.zeros(n, bool)
    for i, tick in enumerate(ticks):
        # No decisions here, so a late sensor's calibration is not held to calm ones (PatientBaseline):
        # no recording has a late sensor whose calibration completes, so the rows are the served ones.
        normalised = baseline.normalise(tick.features)
        if normalised is not None:
            z[i], usable[i], calibrated[i] = *normalised, True
    return Deployed(z, usable, calibrated)


def without_heart(table: FeatureTable, config: AgentConfig) -> Deployed | None:
    """What the deployed baseline makes of the subject with no heart sensor worn: skin conductance's resting
    level then never follows a calm heart. None where the subject has no skin conductance, or no heart, for
    that to change."""
    if not (table.available[:, _SKIN].any() and table.available[:, _HEART].any()):
        return None
    return deployed(table_ticks(table, config.top.features.min_quality, keep=~_HEART), config)


def settled(t: np.ndarray, label: np.ndarray, settle_s: float) -> np.ndarray:
    """True where the label has not changed during the ``settle_s`` before each tick (for training rows)."""
    codes = np.nan_to_num(label, nan=-1)
    change = np.r_[0, np.flatnonzero(np.diff(codes) != 0) + 1]
    last_change_t = t[change[np.searchsorted(change, np.arange(len(t)), side="right") - 1]]
    return t - last_change_t >= settle_s


def decide(ticks: list[Tick], table: FeatureTable, config: AgentConfig, model: object | None = None) -> list[dict]:
    """The core's decisions over ``ticks``, as the JSON lines ``edge-agent replay`` writes (``model``: in place
    of ``config``'s, e.g. a screen's stand-in)."""
    core = build_core(config, model)
    first = len(table.t) - len(ticks)
    out = []
    for k, d in enumerate(core.decide(ticks)):
        label = table.label[first + k]
        out.append(json.loads(tick_line(d, None if np.isnan(label) else float(label), True)))
    return out


def classify(lines: list[dict], dataset: Dataset) -> tuple[np.ndarray, np.ndarray, int]:
    """(y, p) over decided, scored ticks, and how many scored ticks came after calibration."""
    label = np.array([np.nan if ln.get("label") is None else ln["label"] for ln in lines], dtype=float)
    y, scored = dataset.target(label)
    calibrating = np.array([bool(ln["reasons"]) and "calibrating baseline" in ln["reasons"][0] for ln in lines])
    after = scored & ~calibrating
    decided = after & np.array([ln["distress"] is not None for ln in lines])
    p = np.array([np.nan if ln["distress"] is None else ln["distress"] for ln in lines], dtype=float)
    return y[decided].astype(int), p[decided], int(after.sum())


def timeline(lines: list[dict]) -> dict[str, np.ndarray]:
    """What the card's timeline plots need of a replay, as arrays (every candidate's lines would not fit)."""
    return {
        "t": np.array([x["t"] for x in lines], dtype=np.float32),
        "label": np.array([-1 if x.get("label") is None else x["label"] for x in lines], dtype=np.int8),
        "distress": np.array([np.nan if x["distress"] is None else x["distress"] for x in lines], dtype=np.float32),
        "level": np.array([x["level"] for x in lines]),
    }


def decided_ticks(timeline: dict[str, np.ndarray], dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A timeline's decided, scored ticks (``classify``'s: calibration holds) as (t, target, distress >= 0.5)."""
    y, scored = dataset.target(np.where(timeline["label"] < 0, np.nan, timeline["label"]).astype(float))
    keep = scored & np.isfinite(timeline["distress"])
    return timeline["t"][keep].astype(float), y[keep], (timeline["distress"][keep] >= 0.5).astype(int)


def levels(lines: list[dict], dataset: Dataset) -> dict[str, object]:
    """Delay from the stressor's onset to each level, and time at each level during rest (WESAD's targets).

    Shares are of the decided ticks: while the agent holds (calibrating, or no trustworthy sensor) it is at
    no level, and EEGMAT's three minutes of rest are mostly calibration, which would dilute them threefold.
    """
    t = np.array([ln["t"] for ln in lines])
    label = np.array([-1 if ln.get("label") is None else ln["label"] for ln in lines])
    level = np.array([ln["level"] for ln in lines])
    decided = level != "hold"
    stress, rest = label == dataset.stressor, (label == dataset.rest) & decided
    out: dict[str, object] = {}
    if stress.any():
        onset, end = t[stress][0], t[stress][-1]

        def first(names: list[str]) -> float | None:
            hit = (t >= onset) & (t <= end + 60) & np.isin(level, names)
            return round(float(t[hit][0] - onset), 2) if hit.any() else None

        out["delay_distressed_s"] = first(["distressed"])
        out["delay_elevated_s"] = first(["elevated", "distressed"])
        if (stress & decided).any():
            out["stress_distressed_share"] = round(float(np.mean(level[stress & decided] == "distressed")), 4)
    if rest.any():
        out["rest_ticks"] = int(rest.sum())
        out["rest_distressed_share"] = round(float(np.mean(level[rest] == "distressed")), 4)
        out["rest_elevated_or_above_share"] = round(float(np.mean(np.isin(level[rest], ["elevated", "distressed"]))), 4)
    return out


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    pred = p >= 0.5
    edges = np.linspace(0, 1, 6)
    which = np.clip(np.digitize(p, edges) - 1, 0, 4)
    bins, ece = [], 0.0
    for b in range(5):
        m = which == b
        if m.any():
            bins.append([round(float(edges[b]), 2), round(float(p[m].mean()), 3), round(float(y[m].mean()), 3), int(m.sum())])
            ece += m.mean() * abs(p[m].mean() - y[m].mean())
    return {
        "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
        "accuracy": round(float(np.mean(pred == y)), 4),
        "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),  # rows true calm/stress, cols predicted
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "reliability": {"bins": bins, "ece": round(float(ece), 4)},  # [bin start, mean predicted, observed, ticks]
    }


def rest_levels(subjects: dict[str, dict]) -> dict[str, object]:
    """WESAD's rest time at each level: the median subject, pooled over rest ticks, and who is over the limit."""
    out: dict[str, object] = {}
    with_rest = {s: e for s, e in subjects.items() if "rest_ticks" in e}
    ticks = np.array([e["rest_ticks"] for e in with_rest.values()], dtype=float)
    for k, limit in REST_LIMIT.items():
        share = np.array([e[k] for e in with_rest.values()], dtype=float)
        out[f"median_{k}"] = round(float(np.median(share)), 4)
        out[f"pooled_{k}"] = round(float(share @ ticks / ticks.sum()), 4)
        out[f"over_limit_{k}"] = [s for s, v in zip(with_rest, share, strict=True) if v > limit]
    return out


def score_subjects(per_subject: dict[str, tuple[np.ndarray, np.ndarray, int, dict]]) -> dict[str, object]:
    """Pooled and per-subject figures from each subject's (y, p, ticks after calibration, level figures)."""
    ys = [v[0] for v in per_subject.values()]
    ps = [v[1] for v in per_subject.values()]
    y, p = np.concatenate(ys), np.concatenate(ps)
    subjects: dict[str, dict[str, object]] = {}
    for s, (ys_, ps_, after, lv) in per_subject.items():
        # no scored tick after calibration (a recording without labels): nothing to cover, not "held throughout"
        coverage = round(len(ys_) / after, 4) if after else None
        entry: dict[str, object] = {"decided": int(len(ys_)), "coverage": coverage, **lv}
        if len(ys_):  # what pools with other subjects' (models.sampling)
            entry["confusion"] = confusion_matrix(ys_, ps_ >= 0.5, labels=[0, 1]).tolist()
        if len(np.unique(ys_)) == 2:
            entry["macro_f1"] = round(float(f1_score(ys_, ps_ >= 0.5, average="macro")), 4)
            # where the errors lie: calm ticks called stress, stress ticks called calm
            entry["false_alarm_share"] = round(float(np.mean(ps_[ys_ == 0] >= 0.5)), 4)
            entry["missed_share"] = round(float(np.mean(ps_[ys_ == 1] < 0.5)), 4)
        subjects[s] = entry
    f1s = [e["macro_f1"] for e in subjects.values() if "macro_f1" in e]
    out = {
        **metrics(y, p),
        "macro_f1_subject_mean": round(float(np.mean(f1s)), 4),
        "macro_f1_subject_sd": round(float(np.std(f1s)), 4),
        "macro_f1_worst": round(float(np.min(f1s)), 4),
        "worst_subjects": sorted(subjects, key=lambda s: subjects[s].get("macro_f1", 1.0))[:3],
        "coverage": round(len(y) / max(sum(v[2] for v in per_subject.values()), 1), 4),
        "subjects": len(subjects),
    }
    lv_keys = [k for k in ("delay_distressed_s", "delay_elevated_s") if any(k in e for e in subjects.values())]
    for k in lv_keys:
        vals = [e[k] for e in subjects.values() if e.get(k) is not None]
        out[f"median_{k}"] = round(float(np.median(vals)), 2) if vals else None
    if lv_keys:
        out["stressors_reaching_distressed"] = sum(e.get("delay_distressed_s") is not None for e in subjects.values())
        out.update(rest_levels(subjects))
    out["per_subject"] = subjects
    return out
