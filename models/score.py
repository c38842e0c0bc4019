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
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.card_limits import pct
from models.datasets import DATASETS, Dataset
from models.loso import classify, levels, score_subjects
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


def score_files(dataset: Dataset, paths: list[Path]) -> dict[str, object]:
    """``models.loso.score_subjects`` of the replays, a subject per file named by its stem."""
    per = {}
    for path in paths:
        lines = read_replay(path)
        y, p, after = classify(lines, dataset)
        per[path.stem] = (y, p, after, levels(lines, dataset) if dataset.stressor is not None else {})
    if not any(len(v[0]) for v in per.values()):
        raise ReplayUnreadable("no file has a decided tick with a scored label after calibration: replay "
                               f"recordings of {dataset.name} with their labels")
    return score_subjects(per)


def report(dataset: Dataset, figures: dict, evaluation: dict) -> str:
    rows = [f"{dataset.name}: distress >= 0.5 against the label, over decided ticks after calibration",
            "", "| Recording | Decided ticks | Coverage | Macro-F1 | Calm called stress | Stress called calm |",
            "|---|---|---|---|---|---|"]
    for s, e in figures["per_subject"].items():
        f1 = e.get("macro_f1")
        rows.append(f"| {s} | {e['decided']} | {pct(e['coverage'])} | {'–' if f1 is None else f'{f1:.3f}'} | "
                    f"{pct(e.get('false_alarm_share'))} | {pct(e.get('missed_share'))} |")
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
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.score", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=sorted(DATASETS), help="whose labels the files carry")
    parser.add_argument("files", nargs="+", type=Path, help="edge-agent replay output, a file per subject")
    parser.add_argument("--json", action="store_true", help="the figures as evaluation.json holds a dataset's")
    args = parser.parse_args(argv)
    dataset = DATASETS[args.dataset]
    try:
        figures = score_files(dataset, args.files)
    except (ReplayUnreadable, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 65  # EX_DATAERR
    evaluation = json.loads(EVALUATION.read_text())
    print(json.dumps(figures, indent=1) if args.json else report(dataset, figures, evaluation))
    return 0


if __name__ == "__main__":
    sys.exit(main())
