"""Train, evaluate (LOSO through the core) and export the distress model: ``python -m models.train``.

1. Feature tables for every subject, through the core's ticker (cached).
2. Each subject normalised by the deployed baseline (``models.subjects``): calibration from the
   recording's start, re-anchored as the agent does (``models.loso.deployed``).
3. Leave-one-subject-out over all three datasets at once, for each model kind
   of ``models.nested.KINDS``: a model trained on every other subject,
   exported to ONNX, loaded by the runtime and run through the core's policy,
   with the agent's default settings, over the held-out subject's ticks.
   Those defaults (the re-anchoring constant among them) were chosen by nested
   checks kept apart from training (``models.anchor`` and the others).
4. The deployed kind (``models.nested.DEPLOYED_KIND``, the ensemble) beside the
   others, and the nested figures of choosing a kind per subject instead. Its
   EEG-only ablations (models trained on EEG alone, with and without gamma) and
   its calibration on WESAD's rest condition are evaluated the same way. What
   one sensor group alone gets (an EEG headset, a chest strap, a
   skin-conductance band) comes from its own fold models, each subject decided
   again with only that group worn.
5. The deployed kind is trained on every subject and written to
   ``models/distress/distress.onnx`` with its model card, ``evaluation.json``
   and plots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from agent.core.baseline import NORMALISATION, BaselineOptions
from agent.core.features import FEATURE_UNITS, FEATURES, GROUPS, FeatureConfig
from agent.core.model.metadata import ModelMetadata
from models.baseline_eda import Decided, confusions, fitted, loso_decided, on_shared_ticks, pooled_f1, shared_figures
from models.datasets import DATASETS, Dataset
from models.export import Additive, write_model
from models.extract import fingerprint
from models.features_cache import tables
from models.fit import ABLATION_RECIPES, COMMITTED, Recipe
from models.loso import (
    classify,
    config_for,
    decide,
    decided_ticks,
    levels,
    score_subjects,
    table_ticks,
    timeline,
)
from models.nested import (
    DEPLOYED_KIND,
    KINDS,
    Candidate,
    Results,
    SubjectResult,
    compared,
    criterion,
    nested,
    per_subject_f1,
    summary,
)
from models.pins import differences
from models.sampling import held_out_spread
from models.subjects import Subject, fit, fit_kinds, prepare, view_mask

# 2.1: EEG bands over 6 s, the ensemble alone; 2.2: regional EEG shares of 4-30 Hz;
# 2.3: an EEG channel counts only when its whole window is clean, windows of 4 s
VERSION = "distress-2.3.0"
OUT = Path(__file__).resolve().parent / "distress"
def metadata(m: Additive, subjects: list[Subject], weights: dict[str, float], version: str = VERSION,
             data_sha256: str = "fold", created: str = "fold") -> ModelMetadata:
    return ModelMetadata(
        model_version=version, kind=m.kind, features=tuple(f.name for f in FEATURES),
        units=tuple(FEATURE_UNITS[f.name] for f in FEATURES), groups=tuple(f.group for f in FEATURES),
        normalisation=NORMALISATION, group_weights=weights,
        datasets=tuple(sorted({s.dataset for s in subjects})), subjects=len(subjects),
        data_sha256=data_sha256, created=created, feature_settings=FeatureConfig().model_dump(mode="json"),
    )


@dataclass(frozen=True)
class Fold:
    """One held-out subject: what to train without it, and how it is decided."""

    kinds: tuple[str, ...]
    view: str  # the features the models are trained on, and the only ones the held-out subject wears
    subject: int  # its index in the subjects the workers hold
    weights: str  # the sensor group weights, as JSON
    from_rest: bool = False  # decide only from the start of its rest condition, as if the session began there
    settings: str | None = None  # the agent's settings (TOML) it is decided with
    keep: Path | None = None  # where each kind's fold model is kept (:func:`fold_model_dir`), for :func:`alone_results`
    recipe: Recipe = COMMITTED  # how the fold's models are fitted (the draw, the regularisation)


def fold_model_dir(keep: Path, kind: str, subject: Subject) -> Path:
    return keep / kind / subject.key.replace("/", "-")


def held_out(fold: Fold) -> tuple[str, dict[str, tuple[SubjectResult, dict]]]:
    """Train each of the fold's kinds without its subject and decide the subject's ticks through the core."""
    subjects = _SUBJECTS
    held = subjects[fold.subject]
    dataset = DATASETS[held.dataset]
    others = subjects[: fold.subject] + subjects[fold.subject + 1:]
    worn = None if fold.view == "all" else view_mask(fold.view)  # the other sensors are not worn
    start = 0
    if fold.from_rest:
        rest = np.flatnonzero(np.nan_to_num(held.table.label, nan=-1) == dataset.rest)
        start = int(rest[0]) if rest.size else 0
    out = {}
    for kind, m in fit_kinds(fold.kinds, others, fold.view, fold.recipe).items():
        with tempfile.TemporaryDirectory(prefix="edge-agent-fold-") as tmp:
            where = Path(tmp) if fold.keep is None else fold_model_dir(fold.keep, kind, held)
            write_model(where / "distress.onnx", m, metadata(m, others, json.loads(fold.weights)))
            config = config_for(where, text=fold.settings)
            lines = decide(table_ticks(held.table, config.top.features.min_quality, start=start, keep=worn),
                           held.table, config)
        out[kind] = (scored(lines, dataset), timeline(lines))
    return held.key, out


def scored(lines: list[dict], dataset: Dataset) -> SubjectResult:
    """A replay's decided ticks (y, p), its ticks after calibration, and its level figures where they apply."""
    y, p, after = classify(lines, dataset)
    return y, p, after, levels(lines, dataset) if dataset.stressor is not None else {}


def worn_alone(args: tuple[int, str, Path, str | None]) -> tuple[str, dict[str, SubjectResult]]:
    """One subject decided by its kept fold model of ``kind``, with each of its sensor groups worn alone."""
    i, kind, keep, settings = args
    held = _SUBJECTS[i]
    dataset = DATASETS[held.dataset]
    config = config_for(fold_model_dir(keep, kind, held), text=settings)
    out = {}
    for group in dataset.groups:
        ticks = table_ticks(held.table, config.top.features.min_quality, keep=view_mask(f"{group}-only"))
        out[group] = scored(decide(ticks, held.table, config), dataset)
    return held.key, out


Timelines = dict[str, dict[str, np.ndarray]]  # dataset/subject -> timeline


def against_reference(timelines: Timelines, decided: dict[str, dict[str, Decided]]) -> dict[str, dict[str, object]]:
    """The LOSO model and the one-line reference's LOSO over the ticks both decide, per dataset."""
    out = {}
    for name, by_subject in decided.items():
        pairs = {s: pair for s, d in by_subject.items()
                 if (pair := on_shared_ticks(decided_ticks(timelines[f"{name}/{s}"], DATASETS[name]), d))}
        if pairs:
            out[name] = shared_figures(pairs)
    return out


_SUBJECTS: list[Subject] = []


def _init(subjects: list[Subject]) -> None:
    global _SUBJECTS
    _SUBJECTS = subjects
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one fold per core: the boosted trees' OpenMP threads would only contend


def loso_results(subjects: list[Subject], kinds: tuple[str, ...], view: str, weights: dict[str, float], jobs: int,
                 settings: str | None = None, only: tuple[str, ...] | None = None, from_rest: bool = False,
                 keep: Path | None = None, recipe: Recipe = COMMITTED) -> dict[str, tuple[Results, Timelines]]:
    """Per kind: per dataset and subject, the decisions of a model that never saw it (trained on ``view``, the
    subject wearing only ``view``'s sensors); and the timelines. ``keep``: where the fold models stay, for
    :func:`alone_results`; ``recipe``: how the folds' models are fitted."""
    wanted = [i for i, s in enumerate(subjects) if (only is None or s.dataset in only)]
    work = [Fold(kinds, view, i, json.dumps(weights), from_rest, settings, keep, recipe) for i in wanted]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(subjects,)) as pool:
        done = list(pool.map(held_out, work))
    out: dict[str, tuple[Results, Timelines]] = {k: ({}, {}) for k in kinds}
    for key, per_kind in done:
        dataset, name = key.split("/")
        for kind, (result, lines) in per_kind.items():
            out[kind][0].setdefault(dataset, {})[name] = result
            out[kind][1][key] = lines
    return out


def alone_results(subjects: list[Subject], kind: str, keep: Path, settings: str | None, jobs: int,
                  only: tuple[str, ...] | None = None) -> dict[str, Results]:
    """Per sensor group: every subject with several groups (of the datasets ``only`` names) decided again by its
    own fold model of ``kind`` (kept by :func:`loso_results`) with only that group worn: what one sensor alone
    gets, through the core."""
    wanted = [i for i, s in enumerate(subjects)
              if len(DATASETS[s.dataset].groups) > 1 and (only is None or s.dataset in only)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(subjects,)) as pool:
        done = list(pool.map(worn_alone, [(i, kind, keep, settings) for i in wanted]))
    out: dict[str, Results] = {}
    for key, per_group in done:
        dataset, name = key.split("/")
        for group, result in per_group.items():
            out.setdefault(group, {}).setdefault(dataset, {})[name] = result
    return out


def loso(subjects: list[Subject], kind: str, view: str, weights: dict[str, float], jobs: int,
         settings: str | None = None, only: tuple[str, ...] | None = None, from_rest: bool = False,
         recipe: Recipe = COMMITTED) -> dict[str, dict]:
    """Per dataset: pooled and per-subject figures, every subject decided by a model that never saw it."""
    results, _ = loso_results(subjects, (kind,), view, weights, jobs, settings, only, from_rest, recipe=recipe)[kind]
    return {d: score_subjects(v) for d, v in results.items()}


def ablation(subjects: list[Subject], kind: str, view: str, weights: dict[str, float], jobs: int,
             settings: str | None = None) -> dict:
    """EEGMAT's figures from models trained on ``view`` alone (an EEG ablation), fitted with its own recipe."""
    return loso(subjects, kind, view, weights, jobs, settings, only=("eegmat",), recipe=ABLATION_RECIPES[view])["eegmat"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refresh", action="store_true", help="recompute the cached feature tables")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS),
                        help=f"model kinds to evaluate ({DEPLOYED_KIND}, the deployed kind, always is)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 2, 2))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if moved := differences(installed_only=True):  # installed as the card says: the train extra alone
        print(f"NOTE: not the versions constraints.txt pins: {', '.join(moved)}; the figures may differ from "
              "the committed ones in their last digits (scripts/test installs the pinned versions)", flush=True)

    found = {name: tables(DATASETS[name], refresh=args.refresh) for name in DATASETS}
    # the agent's own constant, named in the settings as every nested check names the value it checks
    evaluated = [c for c in compared(BaselineOptions().anchor_tau_s) if c.kind in args.kinds or c.kind == DEPLOYED_KIND]
    best = next(c for c in evaluated if c.kind == DEPLOYED_KIND)
    weights = {"cardiac": 1.0, "eda": 1.0, "eeg": 1.0}  # a priori: every sensor group counts the same
    settings = best.settings()
    subjects = [s for n in DATASETS for s in prepare(DATASETS[n], found[n], settings)]
    results: dict[Candidate, Results] = {}
    timelines: dict[Candidate, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="edge-agent-folds-") as folds:  # every fold model, for the alone figures
        # one fold fits every kind on the same rows
        done = loso_results(subjects, tuple(c.kind for c in evaluated), "all", weights, args.jobs, settings,
                            keep=Path(folds))
        for c in evaluated:
            results[c], timelines[c] = done[c.kind]
            print(c.label, {d: round(criterion({d: f}), 4) for d, f in per_subject_f1(results[c]).items()}, flush=True)
        # what the agent runs with one sensor group alone: the deployed kind's own fold models
        alone = alone_results(subjects, best.kind, Path(folds), settings, args.jobs)
    f1s = {c: per_subject_f1(r) for c, r in results.items()}
    every_kind, every_chosen = nested(results)  # choosing a kind per subject instead, recorded since the kinds tied
    print("deployed:", best.label, "| choosing a kind per subject, nested:",
          {d: e["macro_f1"] for d, e in every_kind.items()}, summary(every_chosen), flush=True)
    deployed_config = config_for(text=settings)  # the agent settings the deployed kind was evaluated with
    alone_figures = {g: {d: score_subjects(v) for d, v in alone[g].items()} for g in GROUPS if g in alone}
    print("one sensor group alone:", {g: {d: e["macro_f1"] for d, e in v.items()} for g, v in alone_figures.items()},
          flush=True)
    ablations = {}
    # models trained on EEG alone, with and without gamma; and what the agent runs: the deployed model, only EEG worn
    for view in ABLATION_RECIPES:
        ablations[view] = ablation(subjects, best.kind, view, weights, args.jobs, settings)
        print(view, ablations[view]["macro_f1"], flush=True)
    if "eeg" in alone_figures:
        ablations["deployed-eeg-worn"] = alone_figures["eeg"]["eegmat"]
    from_rest = loso(subjects, best.kind, "all", weights, args.jobs, settings, only=("wesad",), from_rest=True)["wesad"]
    print("wesad calibrated on its rest condition", from_rest["macro_f1"], flush=True)
    reference_decided = {name: loso_decided(found[name], DATASETS[name].target) for name in ("wesad", "stress-predict")}
    reference = {name: confusions(d) for name, d in reference_decided.items()}
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    paths = [p for name in DATASETS for _, p in DATASETS[name].recordings()]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as in the folds: a sum's order, and so the last bits, must not depend on the cores
        final = fit(best.kind, subjects, "all")
    meta = metadata(final, subjects, weights, VERSION, fingerprint(paths), created)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.onnx"):
        old.unlink()
    write_model(args.out / "distress.onnx", final, meta)
    figures = ("macro_f1", "macro_f1_subject_mean", "macro_f1_worst", "coverage")
    scored = {c: {d: score_subjects(v) for d, v in r.items()} for c, r in results.items()}
    evaluation = {
        "model_version": VERSION, "kind": best.kind, "created": created,
        "protocol": "leave-one-subject-out over WESAD, Stress-Predict and EEGMAT together; each held-out subject "
                    "replayed through the core (models.loso, equal to edge-agent replay) with a model trained "
                    "without it; calibration from the recording's start; the agent's default settings, its "
                    "[baseline] anchor_tau_s named in them",
        "selection": "criterion: the mean over the datasets of the mean per-subject macro-F1, declared before the "
                     "first comparison. deployed: the ensemble, fixed since the single kinds tied (models.nested), "
                     "with the agent's default settings, each chosen by a nested check kept apart from training "
                     "(models.anchor and the others), so its 'loso' figures saw those choices. nested_every_kind: "
                     "each subject scored by the kind with the best criterion over every other subject; those "
                     "subjects' decisions come from the outer LOSO, whose models were trained with the subject left "
                     "out here (a cheaper stand-in for fully nested LOSO)",
        "deployed": {"kind": best.kind, "anchor_tau_s": best.anchor_tau_s, "settings": settings,
                     # the agent's defaults, which their own nested checks set (models.anchor, models.skin_anchor,
                     # models.skin_heart, models.skin_margin, models.eeg_smoothing, models.rise)
                     "skin_anchor_tau_s": deployed_config.top.baseline.skin_anchor_tau_s,
                     "skin_anchor_heart_s": deployed_config.top.baseline.skin_anchor_heart_s,
                     "skin_anchor_heart_margin": deployed_config.top.baseline.skin_anchor_heart_margin,
                     "eeg_alone_tau_s": deployed_config.top.policy.eeg_alone_tau_s,
                     "windowed_rise_share": deployed_config.top.policy.windowed_rise_share,
                     "recipe": asdict(COMMITTED),  # the draw and the members' regularisation (models.capacity)
                     "criterion": round(criterion(f1s[best]), 4)},
        "loso": scored[best],
        "nested_every_kind": {"figures": every_kind, "chosen_counts": summary(every_chosen)},
        "candidates": {c.label: {"kind": c.kind, "anchor_tau_s": c.anchor_tau_s, "deployed": c == best,
                                 "criterion": round(criterion(f1s[c]), 4),
                                 "datasets": {d: {m: e[m] for m in figures} for d, e in scored[c].items()}}
                       for c in results},
        "ablations": ablations,
        "ablation_recipes": {v: asdict(r) for v, r in ABLATION_RECIPES.items()},  # models.eeg_recipe
        "one_group_alone": alone_figures,
        "wesad_calibrated_on_rest": {k: from_rest[k] for k in ("macro_f1", "macro_f1_subject_mean", "macro_f1_worst")},
        "one_line_eda_reference": {name: pooled_f1(c) for name, c in reference.items()},
        "one_line_eda_reference_shared_ticks": against_reference(timelines[best], reference_decided),
        # fitted on every subject: what `python -m models.score --recordings` scores new recordings with
        "one_line_eda_reference_fit": {name: asdict(r) for name in reference
                                       if (r := fitted(found[name], DATASETS[name].target)) is not None},
        "held_out_spread": held_out_spread(scored[best], reference),
        "group_weights": weights,
    }
    from models.card import write_card
    from models.check import committed_check

    evaluation["check"] = committed_check(args.out, settings)
    (args.out / "evaluation.json").write_text(json.dumps(evaluation, indent=1))
    write_card(args.out, meta, final, evaluation, timelines[best])
    print(f"{best.label}: wrote {args.out / 'distress.onnx'}", flush=True)


if __name__ == "__main__":
    main()
