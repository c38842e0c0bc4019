"""Score ``edge-agent replay`` output against its recording's labels, as the evaluation does.

    edge-agent replay ../shared/data/stress-predict/raw/S02 --out S02.jsonl
    python -m models.score stress-predict S02.jsonl S04.jsonl ...

Each file is one subject's replay (the JSON lines ``edge-agent replay`` writes, with the recording's
``label``). A tick counts when it was decided (not hold) after calibration and its label is one the
dataset's binary target scores, and ``distress >= 0.5`` is compared with that target:
``models.loso``'s own functions, so these decisions get the figures ``evaluation.json`` would give
them (its LOSO figures are of fold models; a replay runs the installed model). The pooled figure is
then placed among the committed LOSO's pooled figures over as many of its subjects
(``models.sampling``): how far it sits from what LOSO's own subjects give, drawn as few.

With ``--recordings`` (the recordings the files were replayed from, in the same order) the one-line
skin-conductance reference (``models.baseline_eda``, fitted on every subject the committed model was
evaluated on) is scored on them as well: the bar the model must clear on the same people.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from agent.errors import ConfigError
from models.baseline_eda import Reference, on_shared_ticks, scored, shared_figures
from models.card_limits import pct
from models.datasets import DATASETS, Dataset
from models.extract import FeatureTable, extract
from models.loso import classify, decided_ticks, levels, score_subjects, timeline
from models.sampling import rank

EVALUATION = Path(__file__).resolve().parent / "distress" / "evaluation.json"  # the committed model's


class ReplayUnreadable(ValueError):
    """A file that is not ``edge-agent replay`` output."""


def read_replay(path: Path) -> list[dict]:
    """The ticks of one replay file; every malformed line is named, not skipped."""
    lines, bad = [], []
    for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            tick = json.loads(text)
            if not isinstance(tick, dict) or not {"t", "distress", "level", "reasons"} <= tick.keys():
                raise ValueError
        except ValueError:  # json.JSONDecodeError is one
            bad.append(i)
            continue
        lines.append(tick)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (" …" if len(bad) > 5 else "")
        what = f"line {shown} is not a tick" if len(bad) == 1 else f"lines {shown} are not ticks"
        raise ReplayUnreadable(f"{path}: {what} of `edge-agent replay` (t, distress, level and reasons); replay "
                               "the recording again with --out FILE.jsonl")
    if not any("label" in tick for tick in lines):
        raise ReplayUnreadable(f"{path}: no tick has a label; its recording has none to score against")
    return lines


def score_files(dataset: Dataset, replays: dict[str, list[dict]]) -> dict[str, object]:
    """``models.loso.score_subjects`` of the replays (``read_replay``'s ticks by subject)."""
    per = {}
    for subject, lines in replays.items():
        y, p, after = classify(lines, dataset)
        per[subject] = (y, p, after, levels(lines, dataset) if dataset.stressor is not None else {})
    if not any(len(v[0]) for v in per.values()):
        raise ReplayUnreadable("no file has a decided tick with a scored label after calibration: replay "
                               f"recordings of {dataset.name} with their labels")
    return score_subjects(per)


def _labels_differ(lines: list[dict], table: FeatureTable) -> str | None:
    """Why ``table`` is not of the recording ``lines`` were replayed from; None when their ticks agree."""
    by_t = {tick["t"]: tick.get("label") for tick in lines}
    shared = [(by_t[t], label) for t, label in zip(table.t.tolist(), table.label.tolist(), strict=True) if t in by_t]
    if len(shared) < 0.9 * min(len(lines), len(table.t)):
        return f"they share {len(shared)} of {len(lines)} ticks"
    differ = sum((a is None) != np.isnan(b) or (a is not None and a != b) for a, b in shared)
    return f"their labels differ at {differ} of {len(shared)} ticks" if differ else None


def reference_figures(dataset: Dataset, replays: dict[str, list[dict]], recordings: list[Path],
                      fit: dict) -> dict[str, object]:
    """The model and the one-line reference (``fit``: a ``Reference``'s fields) over the ticks both decide."""
    reference, pairs = Reference(**fit), {}
    for (subject, lines), recording in zip(replays.items(), recordings, strict=True):
        table = extract(recording, subject, dataset.streams)
        if (why := _labels_differ(lines, table)) is not None:
            raise ReplayUnreadable(f"{recording} is not the recording {subject}'s replay was made from: {why}; "
                                   "give --recordings in the order of the files")
        t, z, y = scored(table, dataset.target)
        if pair := on_shared_ticks(decided_ticks(timeline(lines), dataset), (t, y, reference.decide(z))):
            pairs[subject] = pair
    if not pairs:
        raise ReplayUnreadable("no recording has a labelled tick that both the model and the one-line reference "
                               "decide (the reference needs 10 minutes of skin conductance first)")
    return {**shared_figures(pairs), "fitted_on": reference.subjects}


def report(dataset: Dataset, figures: dict, evaluation: dict) -> str:
    shared = figures.get("one_line_eda_reference")
    extra = ("Model, shared ticks", "Reference, shared ticks") if shared else ()
    rows = [f"{dataset.name}: distress >= 0.5 against the label, over decided ticks after calibration", "",
            "| " + " | ".join(("Recording", "Decided ticks", "Coverage", "Macro-F1", "Calm called stress",
                                "Stress called calm", *extra)) + " |", "|---" * (6 + len(extra)) + "|"]
    for s, e in figures["per_subject"].items():
        f1 = e.get("macro_f1")
        rows.append(f"| {s} | {e['decided']} | {pct(e['coverage'])} | {_f(f1)} | "
                    f"{pct(e.get('false_alarm_share'))} | {pct(e.get('missed_share'))} |"
                    + "".join(f" {_f(shared[w]['per_subject'].get(s))} |" for w in ("model", "reference") if shared))
    n = figures["subjects"]
    rows += ["", f"pooled macro-F1 {figures['macro_f1']:.3f} over {n} recording{'s' * (n != 1)}, coverage "
             f"{pct(figures['coverage'])}"]
    if "stressors_reaching_distressed" in figures:
        rows.append(f"stressors reaching distressed: {figures['stressors_reaching_distressed']} of {n}, median "
                    f"delay {figures['median_delay_distressed_s']} s")
    loso = evaluation["loso"].get(dataset.name, {}).get("per_subject", {})
    confusions = [e["confusion"] for e in loso.values() if "confusion" in e]
    if confusions:
        r = rank(figures["macro_f1"], confusions, n)
        rows.append(f"the committed model's LOSO ({evaluation['model_version']}) pools {r['p05']:.3f}, "
                    f"{r['median']:.3f} and {r['p95']:.3f} (5th percentile, median, 95th) over {n} of its "
                    f"{len(confusions)} subjects; {pct(r['below_share'])} of those draws are below this figure")
    if shared:
        ours, theirs = shared["model"]["macro_f1"], shared["reference"]["macro_f1"]
        rows.append(f"on the {shared['ticks']:,} ticks both decide (the reference from 10 minutes in), the model pools "
                    f"{ours:.3f} and the one-line reference {theirs:.3f} (60-s mean skin conductance against the "
                    f"recording's first 10 minutes, through a logistic fitted on the {shared['fitted_on']} subjects "
                    f"of {dataset.name} the model was evaluated on): the model is {abs(ours - theirs):.3f} "
                    f"{'above' if ours >= theirs else 'below'} it")
    return "\n".join(rows)


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.score", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=sorted(DATASETS), help="whose labels the files carry")
    parser.add_argument("files", nargs="+", type=Path, help="edge-agent replay output, a file per subject")
    parser.add_argument("--recordings", nargs="+", type=Path, metavar="RECORDING",
                        help="the recordings the files were replayed from, in their order: the one-line "
                             "skin-conductance reference is scored on them too")
    parser.add_argument("--json", action="store_true", help="the figures as evaluation.json holds a dataset's")
    args = parser.parse_args(argv)
    dataset = DATASETS[args.dataset]
    evaluation = json.loads(EVALUATION.read_text())
    fit = evaluation.get("one_line_eda_reference_fit", {}).get(dataset.name)
    if args.recordings is not None:
        if "eda" not in dataset.streams:
            parser.error(f"{dataset.name} has no one-line reference: it needs skin conductance, which "
                         f"{dataset.name}'s recordings lack")
        if fit is None:
            parser.error(f"{EVALUATION} holds no fitted one-line reference for {dataset.name}: run "
                         "`python -m models.train` to make one")
        if len(args.recordings) != len(args.files):
            parser.error(f"--recordings needs one recording per file, in the same order ({len(args.files)} "
                         f"file{'s' * (len(args.files) != 1)}, {len(args.recordings)} recording"
                         f"{'s' * (len(args.recordings) != 1)})")
    try:
        replays = {path.stem: read_replay(path) for path in args.files}
        if len(replays) < len(args.files):
            raise ReplayUnreadable("two files share a name: each names its subject, so give each its own")
        figures = score_files(dataset, replays)
        if args.recordings is not None:
            figures["one_line_eda_reference"] = reference_figures(dataset, replays, args.recordings, fit)
    except (ReplayUnreadable, ConfigError, OSError) as e:  # a recording that cannot be read is a ConfigError
        print(f"error: {e}", file=sys.stderr)
        return 65  # EX_DATAERR
    print(json.dumps(figures, indent=1) if args.json else report(dataset, figures, evaluation))
    return 0


if __name__ == "__main__":
    sys.exit(main())
