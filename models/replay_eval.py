"""Detection delay and false alarms through ``edge-agent replay``: ``python -m models.replay_eval``.

Each WESAD subject is replayed through the whole agent with heads trained
without that subject (leave-one-subject-out, exported to a temporary
folder), calibrating on the recording's first minutes as a patient's
session would. From the JSON lines:

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

from agent import config as agent_config
from agent.driver import Registry
from agent.features import FEATURE_UNITS, FEATURES
from agent.model import ModelOptions
from agent.model.metadata import HeadMetadata
from agent.replay import replay
from agent import logs
from agent.baseline import NORMALISATION
from models.datasets import DATASETS
from models.export import write_head
from models.heads import fit_head
from models.train import OUT, TRAIN_ON, VERSION, prepare

STRESS, BASELINE = 2, 1


def fold_heads(held: str, data: dict, weights: dict[str, float], folder: Path) -> None:
    for group, sources in TRAIN_ON.items():
        subjects = [r for s in sources if s in data for r in data[s] if not (s == "wesad" and r.subject == held)]
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
    parser.add_argument("--subjects", nargs="*", help="only these WESAD subjects")
    args = parser.parse_args()
    logs.configure("warning", "auto")
    weights = json.loads((OUT / "evaluation.json").read_text())["weights"]
    data = {name: prepare(DATASETS[name], refresh=False) for name in ("wesad", "stress-predict", "eegmat")}
    registry = Registry()
    per_subject = {}
    for subject, path in DATASETS["wesad"].recordings():
        if args.subjects and subject not in args.subjects:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            fold_heads(subject, data, weights, Path(tmp))
            base = agent_config.parse("", "<defaults>", registry)
            top = base.top.model_copy(update={"model": ModelOptions(dir=Path(tmp))})
            buf = io.StringIO()
            replay(agent_config.AgentConfig(base.source, top, []), path, buf, registry=registry)
        per_subject[subject] = score([json.loads(x) for x in buf.getvalue().splitlines()])
        print(subject, per_subject[subject], flush=True)

    def median(key: str) -> float | None:
        vals = [v[key] for v in per_subject.values() if v[key] is not None]
        return round(float(np.median(vals)), 3) if vals else None

    summary = {
        "protocol": "WESAD wrist, each subject replayed with LOSO heads; calibration on the recording's first "
                    "150 s of trustworthy data; default [policy]",
        "subjects": len(per_subject),
        "median_delay_distressed_s": median("delay_distressed_s"),
        "median_delay_elevated_s": median("delay_elevated_s"),
        "stressors_reaching_distressed": sum(v["delay_distressed_s"] is not None for v in per_subject.values()),
        "median_baseline_distressed_share": median("baseline_distressed_share"),
        "mean_baseline_distressed_share": round(float(np.mean([v["baseline_distressed_share"] for v in per_subject.values()])), 4),
        "median_baseline_elevated_share": median("baseline_elevated_share"),
        "per_subject": per_subject,
    }
    if not args.subjects:
        (OUT / "replay.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "per_subject"}, indent=1))


if __name__ == "__main__":
    main()
