"""Is the calibration length right? A nested check of ``[baseline] calibration_s``: ``python -m models.calibration``.

The deployed candidate (its kind and anchoring constant, from ``evaluation.json``)
is evaluated by LOSO through the core with each calibration length of
``LENGTHS_S``, and each subject is given the length that wins the training
criterion over every *other* subject (``models.nested``). The check is kept
apart from ``models.train`` because it would add about 13 minutes to the
30-minute training budget. It prints, and changes nothing: a length other than
the agent's default winning would be a reason to change the default and retrain.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

from agent.core.baseline import BaselineOptions
from models.datasets import DATASETS
from models.features_cache import tables
from models.fit import COMMITTED, Recipe
from models.loso import score_subjects
from models.nested import KINDS, Results, anchor_settings, criterion, per_subject_f1, verdict
from models.subjects import prepare
from models.train import OUT, Timelines, loso_results

LENGTHS_S = (60.0, 90.0, 120.0)  # the values compared on pooled figures when the default was set


def deployed_candidate(doc: str | None) -> tuple[int, str, float, dict[str, float]]:
    """A nested check's command line and the candidate it checks: by default the committed model's
    kind, anchoring constant and group weights (also ``models.eeg_window``)."""
    evaluation = json.loads((OUT / "evaluation.json").read_text())
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 2, 2))
    # a candidate before training commits it (a change of default is checked, then trained once)
    parser.add_argument("--kind", choices=KINDS, default=evaluation["kind"], help="model kind to check")
    parser.add_argument("--anchor", type=float, default=evaluation["deployed"]["anchor_tau_s"],
                        help="[baseline] anchor_tau_s to check (s)")
    args = parser.parse_args()
    return args.jobs, args.kind, args.anchor, evaluation["group_weights"]


def decided(found: dict[str, list], settings: str, kind: str, weights: dict[str, float], jobs: int,
            settle_s: dict[str, float] | None = None, recipe: Recipe = COMMITTED) -> tuple[Results, Timelines]:
    """Every subject's LOSO decisions through the core with these agent settings, and its replay's timeline.
    ``settle_s``: a training-row settling time per dataset, instead of ``models.train``'s; ``recipe``: how the
    folds' models are fitted (the draw of the sensor groups removed from training's copies, the regularisation)."""
    settle_s = settle_s or {}
    subjects = [s for n in DATASETS for s in prepare(DATASETS[n], found[n], settings, settle_s.get(n))]
    return loso_results(subjects, (kind,), "all", weights, jobs, settings, recipe=recipe)[kind]


def evaluated(found: dict[str, list], settings: str, kind: str, weights: dict[str, float], jobs: int,
              settle_s: dict[str, float] | None = None, recipe: Recipe = COMMITTED) -> tuple[Results, dict[str, float]]:
    """:func:`decided`'s results, and the pooled macro-F1s."""
    results, _ = decided(found, settings, kind, weights, jobs, settle_s, recipe)
    return results, {d: round(score_subjects(v)["macro_f1"], 4) for d, v in results.items()}


def settings_check(doc: str | None, values: tuple[float, ...], settings_of: Callable[[str, float], str], name: str,
                   default: float, unit: str = " s", detail: Callable[[Results], str] | None = None) -> None:
    """A nested check of one agent setting (also ``models.rise`` and ``models.skin_anchor``): the deployed
    candidate by LOSO through the core with each of ``values`` (``settings_of(anchor settings, value)``), each
    value's criterion and pooled macro-F1 (and ``detail`` of its decisions) printed, then the nested choice."""
    jobs, kind, anchor, weights = deployed_candidate(doc)
    found = {dataset: tables(DATASETS[dataset], progress=False) for dataset in DATASETS}
    results = {}
    for value in values:
        results[value], pooled = evaluated(found, settings_of(anchor_settings(anchor), value), kind, weights, jobs)
        more = f"; {detail(results[value])}" if detail else ""
        print(f"{name} {value:g}{unit}: criterion {criterion(per_subject_f1(results[value])):.4f}; pooled macro-F1 "
              f"{pooled}{more}", flush=True)
    print(verdict(results, default, unit), flush=True)


def main() -> None:
    settings_check(__doc__, LENGTHS_S, lambda base, length: f"{base}calibration_s = {length!r}\n", "calibration",
                   BaselineOptions().calibration_s)


if __name__ == "__main__":
    main()
