"""Try an idea the way the model is judged: ``python -m models.variant``.

A variant changes the agent's settings (``--settings``, TOML over the defaults:
``[features]`` and its subsections, ``[baseline]``, ``[policy]``, ...), the
training rows' settling time after a label change (``--settle``), the draw
of the sensor groups removed from training's copies (``--seed``) or the members'
regularisation (``--penalty``, ``--stumps``; ``models.fit.Recipe``). It is
evaluated exactly as ``models.train`` evaluates the deployed candidate: features
extracted through the core with the variant's ``[features]`` (cached beside the
default's), calibration from each recording's start with its ``[baseline]``,
LOSO over every subject with the committed model's kind and group weights, each
held-out subject decided by the core's policy with its settings. With no option
it reproduces ``evaluation.json``'s LOSO figures.

It prints the pooled macro-F1 per dataset and the training criterion beside the
committed ones, and for how many subjects the variant did better and worse. It
changes nothing: a variant that wins is a reason to declare a nested check of it
(as ``models.eeg_window`` does) and retrain, and it is a choice made on these
subjects. What was tried this way and not kept is listed in the model card.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from agent.core.baseline import BaselineOptions
from agent.errors import ConfigError
from models.calibration import evaluated
from models.datasets import DATASETS
from models.features_cache import tables
from models.fit import COMMITTED, GAM_C, LOGISTIC_C, Recipe
from models.loso import config_for
from models.nested import criterion, per_subject_f1
from models.train import OUT

TIE = 0.005  # per-subject macro-F1 differences smaller than this count as neither better nor worse


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", default="", help="agent settings as TOML over the defaults, e.g. "
                        "$'[features.eeg]\\nwindow_s = 6' or $'[policy]\\nwindowed_tau_s = 3'")
    parser.add_argument("--settle", action="append", default=[], metavar="DATASET=S",
                        help="training rows start S seconds after a label change in DATASET (repeatable)")
    parser.add_argument("--seed", type=int, default=COMMITTED.seed,
                        help="the draw of the sensor groups removed from training's copies (the committed model's: 0); "
                        "another says how much of a difference the draw alone makes")
    parser.add_argument("--penalty", type=float, default=COMMITTED.penalty,
                        help="the logistic and GAM members' L2 penalty, times the a-priori one "
                        f"(their C {LOGISTIC_C:g} and {GAM_C:g} divided by it; the committed model's: {COMMITTED.penalty:g})")
    parser.add_argument("--stumps", type=int, default=COMMITTED.stumps, help="the boosted member's trees")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 2, 2))
    args = parser.parse_args(argv)
    problems = []
    try:
        args.config = config_for(text=args.settings)
    except ConfigError as e:
        problems.append(f"--settings: {e}")
    settle = {}
    for item in args.settle:
        name, _, value = item.partition("=")
        seconds = _seconds(value)
        if name in DATASETS and seconds is not None:
            settle[name] = seconds
        else:
            problems.append(f"--settle {item}: write DATASET=SECONDS, DATASET one of {', '.join(DATASETS)}, "
                            "SECONDS >= 0")
    args.settle = settle
    if args.penalty > 0 and args.stumps > 0:
        args.recipe = Recipe(args.seed, args.penalty, args.stumps)
    else:
        problems.append("--penalty and --stumps: give numbers above 0")
    if problems:
        parser.error("; ".join(problems))
    return args


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None  # NaN and negative times are no settling time


def compared(mine: dict[str, dict[str, float]], committed: dict[str, dict[str, float]]) -> dict[str, tuple[int, int]]:
    """Per dataset: for how many subjects the variant's macro-F1 is better, and worse, by at least ``TIE``."""
    out = {}
    for dataset, subjects in mine.items():
        diffs = [f - committed[dataset][s] for s, f in subjects.items() if s in committed.get(dataset, {})]
        out[dataset] = (sum(d >= TIE for d in diffs), sum(d <= -TIE for d in diffs))
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    evaluation = json.loads((OUT / "evaluation.json").read_text())
    if evaluation["deployed"]["anchor_tau_s"] != BaselineOptions().anchor_tau_s:
        sys.exit("the committed model's anchor_tau_s is not the agent's default: run python -m models.train first")
    found = {n: tables(DATASETS[n], progress=False, config=args.config.top.features) for n in DATASETS}
    results, pooled = evaluated(found, args.settings, evaluation["kind"], evaluation["group_weights"], args.jobs,
                                args.settle, args.recipe)
    f1s = per_subject_f1(results)
    loso = evaluation["loso"]
    committed = {d: {s: e["macro_f1"] for s, e in v["per_subject"].items() if e.get("macro_f1") is not None}
                 for d, v in loso.items()}
    counts = compared(f1s, committed)
    print(f"criterion {criterion(f1s):.4f} (committed {evaluation['deployed']['criterion']:.4f})")
    for dataset in results:
        better, worse = counts[dataset]
        print(f"{dataset}: macro-F1 pooled {pooled[dataset]:.4f} "
              f"(committed {loso[dataset]['macro_f1']:.4f}); better for {better}, worse for {worse} subjects")


if __name__ == "__main__":
    main()
