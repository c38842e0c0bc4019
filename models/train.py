"""Train, evaluate (LOSO) and export the distress model: ``python -m models.train``.

1. Feature tables for every subject, from the agent's own pipeline (cached).
2. Per dataset, each subject calibrated like a patient and normalised to it.
3. Leave-one-subject-out per dataset: each head alone, then the heads fused.
4. Head weights for the fusion from the heads' own LOSO macro-F1.
5. Each head trained on every subject of every dataset that has its
   modality, exported to ``models/distress/<group>.onnx`` with its metadata,
   its model card, and ``evaluation.json`` with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

from agent.baseline import NORMALISATION, BaselineOptions
from agent.features import FEATURE_UNITS, FEATURES
from agent.model.metadata import HeadMetadata
from models.card import write_card
from models.datasets import DATASETS, Dataset
from models.evaluate import loso
from models.export import write_head
from models.extract import fingerprint
from models.features_cache import tables
from models.heads import fit_head
from models.rows import SubjectRows, subject_rows

VERSION = "distress-1.0.0"
OUT = Path(__file__).resolve().parent / "distress"
# Calibration and settling per dataset: EEGMAT has only 180 s of rest and a 60-s task.
PROTOCOL = {"wesad": (150.0, 60.0), "stress-predict": (150.0, 60.0), "eegmat": (90.0, 20.0)}
# Which datasets train each deployed head.
TRAIN_ON = {"cardiac": ("wesad", "stress-predict", "eegmat"), "eda": ("wesad", "stress-predict"), "eeg": ("eegmat",)}


def prepare(dataset: Dataset, refresh: bool) -> list[SubjectRows]:
    cal, settle = PROTOCOL[dataset.name]
    out = []
    for table in tables(dataset, refresh=refresh):
        rows = subject_rows(table, dataset, BaselineOptions(calibration_s=cal), settle)
        if rows is None:
            print(f"  {dataset.name} {table.subject}: no complete resting calibration, left out")
        else:
            out.append(rows)
    return out


def head_weight(f1: float | None) -> float:
    """Reliability for the fusion: 0.1 for a head no better than chance, 1 for a perfect one."""
    return max(0.1, 2.0 * ((f1 or 0.5) - 0.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--refresh", action="store_true", help="recompute the cached feature tables")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    data = {name: prepare(DATASETS[name], args.refresh) for name in args.datasets}
    solo = {name: loso(rows, DATASETS[name].groups) for name, rows in data.items()}
    f1s: dict[str, list[float]] = {}
    for result in solo.values():
        for group, s in result["heads"].items():  # type: ignore[union-attr]
            f1s.setdefault(group, []).append(s.get("macro_f1", 0.5))
    weights = {g: round(head_weight(float(np.mean(v))), 3) for g, v in f1s.items()}
    evaluation = {
        name: {**loso(rows, DATASETS[name].groups, weights), "calibration_s": PROTOCOL[name][0], "settle_s": PROTOCOL[name][1]}
        for name, rows in data.items()
    }
    for name, e in evaluation.items():
        print(f"{name}: LOSO macro-F1 fused {e['fused'].get('macro_f1')} "  # type: ignore[union-attr]
              + " ".join(f"{g} {s.get('macro_f1')}" for g, s in e["heads"].items()))  # type: ignore[union-attr]

    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    for group, sources in TRAIN_ON.items():
        sources = tuple(s for s in sources if s in data)
        subjects = [r for s in sources for r in data[s]]
        head = fit_head(subjects, group) if subjects else None
        if head is None:
            print(f"{group}: no training data, head not written")
            continue
        names = tuple(f.name for f in FEATURES if f.group == group)
        paths = [p for s in sources for _, p in DATASETS[s].recordings()]
        meta = HeadMetadata(
            model_version=VERSION, group=group, features=names, units=tuple(FEATURE_UNITS[n] for n in names),
            normalisation=NORMALISATION, weight=weights.get(group, 0.1), datasets=sources,
            subjects=len(subjects), data_sha256=fingerprint(paths), created=created,
        )
        write_head(args.out / f"{group}.onnx", head.coef, head.intercept, meta)
        write_card(args.out / f"{group}.md", meta, head.coef, evaluation, {s: DATASETS[s] for s in data})
        print(f"{group}: wrote {args.out / f'{group}.onnx'} (weight {meta.weight}, {len(subjects)} subjects)")
    (args.out / "evaluation.json").write_text(json.dumps({"model_version": VERSION, "weights": weights, **evaluation}, indent=1))


if __name__ == "__main__":
    main()
