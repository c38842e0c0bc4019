"""Is the calibration length right? A nested check of ``[baseline] calibration_s``: ``python -m models.calibration``.

The deployed candidate (its kind and anchoring constant, from ``evaluation.json``)
is evaluated by LOSO through the core with each calibration length of
``LENGTHS_S``, and each subject is given the length that wins the training
criterion over every *other* subject (``models.nested``). The check is kept
apart from ``models.train`` because it would add about 16 minutes to the
30-minute training budget. It prints, and changes nothing: a length other than
the agent's default winning would be a reason to change the default and retrain.
"""

from __future__ import annotations

import argparse
import json
import os

from agent.core.baseline import BaselineOptions
from models.datasets import DATASETS
from models.features_cache import tables
from models.loso import score_subjects
from models.nested import KINDS, Results, anchor_settings, choice_line, criterion, nested_choice, per_subject_f1
from models.train import OUT, Timelines, loso_results, prepare

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
            settle_s: dict[str, float] | None = None) -> tuple[Results, Timelines]:
    """Every subject's LOSO decisions through the core with these agent settings, and its replay's timeline.
    ``settle_s``: a training-row settling time per dataset, instead of ``models.train``'s."""
    settle_s = settle_s or {}
    subjects = [s for n in DATASETS for s in prepare(DATASETS[n], found[n], settings, settle_s.get(n))]
    return loso_results(subjects, (kind,), "all", weights, jobs, settings)[kind]


def evaluated(found: dict[str, list], settings: str, kind: str, weights: dict[str, float], jobs: int,
              settle_s: dict[str, float] | None = None) -> tuple[Results, dict[str, float]]:
    """:func:`decided`'s results, and the pooled macro-F1s."""
    results, _ = decided(found, settings, kind, weights, jobs, settle_s)
    return results, {d: round(score_subjects(v)["macro_f1"], 4) for d, v in results.items()}


def main() -> None:
    jobs, kind, anchor, weights = deployed_candidate(__doc__)
    found = {name: tables(DATASETS[name], progress=False) for name in DATASETS}
    f1s = {}
    for length in LENGTHS_S:
        settings = f"{anchor_settings(anchor)}calibration_s = {length!r}\n"
        results, pooled = evaluated(found, settings, kind, weights, jobs)
        f1s[length] = per_subject_f1(results)
        print(f"calibration {length:g} s: criterion {criterion(f1s[length]):.4f}; pooled macro-F1 {pooled}", flush=True)
    print(choice_line(nested_choice(f1s), BaselineOptions().calibration_s), flush=True)


if __name__ == "__main__":
    main()
