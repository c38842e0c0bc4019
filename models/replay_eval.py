"""LOSO through ``edge-agent replay``: ``python -m models.replay_eval [--datasets ...]``.

Each subject is replayed through the agent's core (``agent.replay``, the
code path of ``edge-agent replay``) with heads trained without that subject
(leave-one-subject-out, exported to a temporary folder), calibrating from
the recording's start exactly as a patient's first session would. From the
JSON lines, per subject and pooled:

- **macro-F1** of ``distress >= 0.5`` against the recording's label over the
  decided ticks (not hold) whose label is scored, and **coverage**: the share
  of scored ticks after calibration that were decided;

- **detection delay**: seconds from the stressor's onset (first WESAD
  label 2) to the first tick at level *distressed* (and at *elevated*);
- **false alarms**: the share of baseline time (label 1) spent at level
  *distressed* (and at *elevated*).

Writes ``models/distress/replay.json``, which the model cards quote.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from agent import config as agent_config
from agent.driver import Registry
from agent.features import FEATURE_UNITS, FEATURES
from agent.model import ModelOptions
from agent.model.metadata import HeadMetadata
from agent.replay import build_core, open_recorded, replay
from agent import logs
from agent.baseline import NORMALISATION
from models.datasets import DATASETS
from models.export import write_head
from models.heads import fit_head
from models.train import OUT, TRAIN_ON, VERSION, prepare

STRESS, BASELINE = 2, 1


def fold_heads(dataset: str, held: str, data: dict, weights: dict[str, float], folder: Path) -> None:
    for group, sources in TRAIN_ON.items():
        subjects = [r for s in sources if s in data for r in data[s] if not (s == dataset and r.subject == held)]
        head = fit_head(subjects, group)
        if head is None:
            continue
        names = tuple(f.name for f in FEATURES if f.group == group)
        meta = HeadMetadata(
            model_version=f"{VERSION}-loso-{held}", group=group, features=names,
            units=tuple(FEATURE_UNITS[n] for n in names), normalisation=NORMALISATION,
            weight=weights.get(group, 0.1), datasets=sources, subjects=len(subjects), data_sha256="fold", created="fold",
        )
        write_head(folder / f"{group}.onnx", head.coef, head.intercept, meta)


def classify(lines: list[dict], dataset: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(y, p) over decided, scored ticks, and how many scored ticks came after calibration."""
    ds = DATASETS[dataset]
    label = np.array([np.nan if ln.get("label") is None else ln["label"] for ln in lines], dtype=float)
    y, scored = ds.target(label)
    calibrating = np.array([bool(ln["reasons"]) and "calibrating baseline" in ln["reasons"][0] for ln in lines])
    after = scored & ~calibrating
    decided = after & np.array([ln["distress"] is not None for ln in lines])
    p = np.array([ln["distress"] if ln["distress"] is not None else np.nan for ln in lines], dtype=float)
    return y[decided], p[decided], int(after.sum())


def score(lines: list[dict]) -> dict[str, object]:
    t = np.array([ln["t"] for ln in lines])
    label = np.array([ln.get("label") if ln.get("label") is not None else -1 for ln in lines])
    level = np.array([ln["level"] for ln in lines])
    onset = t[np.argmax(label == STRESS)] if (label == STRESS).any() else None
    stress_end = t[label == STRESS].max() if onset is not None else None

    def first(lv: str) -> float | None:
        hit = (t >= onset) & (t <= stress_end + 60) & np.isin(level, lv) if onset is not None else np.zeros(0, bool)
        return round(float(t[hit][0] - onset), 2) if hit.any() else None

    base = label == BASELINE
    return {
        "delay_distressed_s": first(["distressed"]),
        "delay_elevated_s": first(["elevated", "distressed"]),
        "baseline_distressed_share": round(float(np.mean(level[base] == "distressed")), 4) if base.any() else None,
        "baseline_elevated_share": round(float(np.mean(np.isin(level[base], ["elevated", "distressed"]))), 4) if base.any() else None,
        "stress_distressed_share": round(float(np.mean(level[label == STRESS] == "distressed")), 4) if onset is not None else None,
        "hold_share": round(float(np.mean(level == "hold")), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--subjects", nargs="*", help="only these subjects")
    args = parser.parse_args()
    logs.configure("warning", "auto")
    weights = json.loads((OUT / "evaluation.json").read_text())["weights"]
    data = {name: prepare(DATASETS[name], refresh=False) for name in DATASETS}
    registry = Registry()
    base = agent_config.parse("", "<defaults>", registry)
    results: dict[str, object] = {}
    for name in args.datasets:
        ds = DATASETS[name]
        per_subject: dict[str, dict[str, object]] = {}
        ys, ps, after_total = [], [], 0
        for subject, path in ds.recordings():
            if args.subjects and subject not in args.subjects:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                fold_heads(name, subject, data, weights, Path(tmp))
                top = base.top.model_copy(update={"model": ModelOptions(dir=Path(tmp))})
                config = agent_config.AgentConfig(base.source, top, [])
                recorded = open_recorded(path, registry=registry, streams=ds.streams, device_id=subject)
                buf = io.StringIO()
                replay(config, recorded, buf, core=build_core(config))
            lines = [json.loads(x) for x in buf.getvalue().splitlines()]
            y, p, after = classify(lines, name)
            entry: dict[str, object] = {"decided": int(len(y)), "coverage": round(len(y) / max(after, 1), 4)}
            if len(np.unique(y)) == 2:
                entry["macro_f1"] = round(float(f1_score(y, p >= 0.5, average="macro")), 4)
            if name == "wesad":
                entry.update(score(lines))
            per_subject[subject] = entry
            ys.append(y)
            ps.append(p)
            after_total += after
            print(name, subject, entry, flush=True)
        y, p = np.concatenate(ys), np.concatenate(ps)
        f1s = [v["macro_f1"] for v in per_subject.values() if "macro_f1" in v]
        summary: dict[str, object] = {
            "macro_f1": round(float(f1_score(y, p >= 0.5, average="macro")), 4),
            "macro_f1_subject_mean": round(float(np.mean(f1s)), 4),
            "macro_f1_worst_subject": round(float(np.min(f1s)), 4),
            "coverage": round(len(y) / max(after_total, 1), 4),
            "subjects": len(per_subject),
        }
        if name == "wesad":
            summary.update(level_summary(per_subject))
        summary["per_subject"] = per_subject
        results[name] = summary
        print(name, {k: v for k, v in summary.items() if k != "per_subject"}, flush=True)
    results["protocol"] = ("each subject replayed through the core (agent.replay) with heads trained without it; "
                           "calibration from the recording's start; default [baseline] and [policy]")
    if not args.subjects and set(args.datasets) == set(DATASETS):
        (OUT / "replay.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "per_subject"} if isinstance(v, dict) else v)
                      for k, v in results.items()}, indent=1))


def level_summary(per_subject: dict[str, dict[str, object]]) -> dict[str, object]:
    def median(key: str) -> float | None:
        vals = [v[key] for v in per_subject.values() if v.get(key) is not None]
        return round(float(np.median(vals)), 3) if vals else None

    return {
        "median_delay_distressed_s": median("delay_distressed_s"),
        "median_delay_elevated_s": median("delay_elevated_s"),
        "stressors_reaching_distressed": sum(v.get("delay_distressed_s") is not None for v in per_subject.values()),
        "median_baseline_distressed_share": median("baseline_distressed_share"),
        "median_baseline_elevated_share": median("baseline_elevated_share"),
    }


if __name__ == "__main__":
    main()
