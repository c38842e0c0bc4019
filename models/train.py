"""Train, evaluate (LOSO through the core) and export the distress model: ``python -m models.train``.

1. Feature tables for every subject, through the core's ticker (cached).
2. Each subject normalised by the deployed baseline: calibration from the
   recording's start, re-anchored as the agent does (``models.loso.deployed``).
3. Leave-one-subject-out over all three datasets at once, for each candidate
   (``--kinds``): a model trained on every other subject, exported to ONNX,
   loaded by the runtime and run through the core's policy over the held-out
   subject's ticks. The same for the EEG-only ablations.
4. The candidate with the best mean per-subject macro-F1 is trained on every
   subject and written to ``models/distress/distress.onnx`` with its model
   card, ``evaluation.json`` and plots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.core.baseline import NORMALISATION
from agent.core.features import FEATURE_UNITS, FEATURES
from agent.core.model.metadata import ModelMetadata
from models.baseline_eda import loso_f1
from models.datasets import DATASETS, Dataset
from models.export import Additive, write_model
from models.extract import FeatureTable, fingerprint
from models.features_cache import tables
from models.fit import Rows, augmented, fit_boosted, fit_gam, fit_logistic, subject_rows
from models.loso import (
    classify, config_for, decide, deployed, levels, score_subjects, settled, table_ticks,
)

VERSION = "distress-2.0.0"
OUT = Path(__file__).resolve().parent / "distress"
SETTLE_S = {"wesad": 60.0, "stress-predict": 60.0, "eegmat": 20.0}  # training rows: windows inside one condition
FITS = {"logistic": fit_logistic, "gam": fit_gam, "boosted": fit_boosted}
GAMMA = tuple(f.name for f in FEATURES if "gamma" in f.name)  # mostly muscle at frontal and temporal sites
# What each evaluation may use: every sensor, or the EEG-only ablations on EEGMAT.
VIEWS = {
    "all": lambda f: True,
    "eeg-only": lambda f: f.group == "eeg",
    "eeg-no-gamma": lambda f: f.group == "eeg" and f.name not in GAMMA,
}


@dataclass
class Subject:
    dataset: str
    name: str
    table: FeatureTable
    z: np.ndarray
    usable: np.ndarray
    y: np.ndarray
    train: np.ndarray  # ticks fit for training: calibrated, scored, settled

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.name}"


def prepare(dataset: Dataset, refresh: bool = False) -> list[Subject]:
    config = config_for()
    out = []
    for table in tables(dataset, refresh=refresh):
        ticks = table_ticks(table, config.top.features.min_quality)
        d = deployed(ticks, config)
        y, scored = dataset.target(table.label)
        train = d.calibrated & scored & settled(table.t, table.label, SETTLE_S[dataset.name])
        out.append(Subject(dataset.name, table.subject, table, d.z, d.usable, y, train))
    return out


def view_mask(view: str) -> np.ndarray:
    keep = VIEWS[view]
    return np.array([keep(f) for f in FEATURES])


def rows_of(subjects: list[Subject], view: str, seed: int) -> Rows:
    mask = view_mask(view)
    parts = [subject_rows(s.z, s.usable & mask, s.y, s.train & (s.usable & mask).any(axis=1)) for s in subjects]
    return augmented(Rows.join(parts), seed)


def metadata(m: Additive, subjects: list[Subject], weights: dict[str, float], version: str = VERSION,
             data_sha256: str = "fold", created: str = "fold") -> ModelMetadata:
    return ModelMetadata(
        model_version=version, kind=m.kind, features=tuple(f.name for f in FEATURES),
        units=tuple(FEATURE_UNITS[f.name] for f in FEATURES), groups=tuple(f.group for f in FEATURES),
        normalisation=NORMALISATION, group_weights=weights,
        datasets=tuple(sorted({s.dataset for s in subjects})), subjects=len(subjects),
        data_sha256=data_sha256, created=created,
    )


def fit(kind: str, subjects: list[Subject], view: str, seed: int = 0) -> Additive:
    m = FITS[kind](rows_of(subjects, view, seed))
    mask = view_mask(view)
    if m.coef is not None:
        m.coef[~mask] = 0.0
    if m.table is not None:
        m.table[~mask] = 0.0
    return m


def held_out(args: tuple[str, str, int, str, bool]) -> tuple[str, tuple[np.ndarray, np.ndarray, int, dict], list[dict]]:
    """One fold: train without subject ``i``, decide its ticks through the core (``from_rest``: only from
    the start of its rest condition, as if the session had begun there)."""
    kind, view, i, weights_json, from_rest = args
    subjects = _SUBJECTS
    held = subjects[i]
    others = subjects[:i] + subjects[i + 1:]
    m = fit(kind, others, view)
    with tempfile.TemporaryDirectory(prefix="edge-agent-fold-") as tmp:
        write_model(Path(tmp) / "distress.onnx", m, metadata(m, others, json.loads(weights_json)))
        config = config_for(Path(tmp))
        keep = None if view == "all" else view_mask(view)  # the other sensors are not worn
        start = 0
        if from_rest:
            rest = np.flatnonzero(np.nan_to_num(held.table.label, nan=-1) == DATASETS[held.dataset].rest)
            start = int(rest[0]) if rest.size else 0
        ticks = table_ticks(held.table, config.top.features.min_quality, start=start, keep=keep)
        lines = decide(ticks, held.table, config)
    y, p, after = classify(lines, DATASETS[held.dataset])
    lv = levels(lines) if held.dataset == "wesad" else {}
    return held.key, (y, p, after, lv), lines if held.dataset == "wesad" else []


_SUBJECTS: list[Subject] = []


def _init(subjects: list[Subject]) -> None:
    global _SUBJECTS
    _SUBJECTS = subjects
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one fold per core: the boosted trees' OpenMP threads would only contend


def loso(subjects: list[Subject], kind: str, view: str, weights: dict[str, float], jobs: int,
         only: tuple[str, ...] | None = None, from_rest: bool = False) -> tuple[dict[str, object], dict[str, list[dict]]]:
    """Per dataset: pooled and per-subject figures, every subject decided by a model that never saw it."""
    wanted = [i for i, s in enumerate(subjects) if (only is None or s.dataset in only)]
    work = [(kind, view, i, json.dumps(weights), from_rest) for i in wanted]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(subjects,)) as pool:
        done = list(pool.map(held_out, work))
    by_dataset: dict[str, dict] = {}
    timelines: dict[str, list[dict]] = {}
    for key, result, lines in done:
        dataset, name = key.split("/")
        by_dataset.setdefault(dataset, {})[name] = result
        if lines:
            timelines[key] = lines
    return {d: score_subjects(v) for d, v in by_dataset.items()}, timelines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refresh", action="store_true", help="recompute the cached feature tables")
    parser.add_argument("--kinds", nargs="*", default=list(FITS), choices=list(FITS), help="candidates to compare")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    subjects = [s for name in DATASETS for s in prepare(DATASETS[name], args.refresh)]
    print(f"{len(subjects)} subjects", flush=True)
    weights = {"cardiac": 1.0, "eda": 1.0, "eeg": 1.0}  # a priori: every sensor group counts the same
    candidates: dict[str, dict[str, object]] = {}
    timelines: dict[str, dict[str, list[dict]]] = {}
    for kind in args.kinds:
        candidates[kind], timelines[kind] = loso(subjects, kind, "all", weights, args.jobs)
        print(kind, {d: (e["macro_f1"], e["macro_f1_subject_mean"]) for d, e in candidates[kind].items()}, flush=True)
    best = max(candidates, key=lambda k: float(np.mean([e["macro_f1_subject_mean"] for e in candidates[k].values()])))
    ablations = {}
    for view in ("eeg-only", "eeg-no-gamma"):
        ablations[view] = loso(subjects, best, view, weights, args.jobs, only=("eegmat",))[0]["eegmat"]
        print(view, ablations[view]["macro_f1"], flush=True)

    from_rest = loso(subjects, best, "all", weights, args.jobs, only=("wesad",), from_rest=True)[0]["wesad"]
    print("wesad calibrated on its rest condition", from_rest["macro_f1"], flush=True)
    reference = {name: loso_f1([s.table for s in subjects if s.dataset == name], DATASETS[name].target)
                 for name in ("wesad", "stress-predict")}
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    paths = [p for name in DATASETS for _, p in DATASETS[name].recordings()]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as in the folds: a sum's order, and so the last bits, must not depend on the cores
        final = fit(best, subjects, "all")
    meta = metadata(final, subjects, weights, VERSION, fingerprint(paths), created)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.onnx"):
        old.unlink()
    write_model(args.out / "distress.onnx", final, meta)
    evaluation = {
        "model_version": VERSION, "kind": best, "created": created,
        "protocol": "leave-one-subject-out over WESAD, Stress-Predict and EEGMAT together; each held-out subject "
                    "replayed through the core (models.loso, equal to edge-agent replay) with a model trained "
                    "without it; calibration from the recording's start; default [baseline] and [policy]",
        "loso": candidates[best],
        "candidates": {k: {d: {m: e[m] for m in ("macro_f1", "macro_f1_subject_mean", "macro_f1_worst", "coverage")}
                           for d, e in v.items()} for k, v in candidates.items()},
        "ablations": ablations,
        "wesad_calibrated_on_rest": {k: from_rest[k] for k in ("macro_f1", "macro_f1_subject_mean", "macro_f1_worst")},
        "one_line_eda_reference": reference,
        "group_weights": weights,
    }
    from models.check import committed_check
    from models.card import write_card

    evaluation["check"] = committed_check(args.out)
    (args.out / "evaluation.json").write_text(json.dumps(evaluation, indent=1))
    write_card(args.out, meta, final, evaluation, timelines[best])
    print(f"{best}: wrote {args.out / 'distress.onnx'}", flush=True)


if __name__ == "__main__":
    main()
