"""Where the deployed model's LOSO errors fall: ``python -m models.errors`` (about 4 minutes).

Every subject is decided as ``models.train`` evaluates the deployed candidate (``--kind`` and ``--anchor``
name another, as for ``models.calibration``), and its scored, decided ticks are split at each change of
the study's condition. For each dataset it prints, pooled over subjects:

- each stretch of the protocol in order (the first rest, the first task, ...): its ticks and error rate;
- calm and stress by the time since the condition changed: error rate and share of all the errors;
- the conditions the target leaves out (``Dataset.unscored``: WESAD's meditation): how often the model
  reads them as stress, right after the stressor and otherwise, and the subjects it does so for most.

It changes nothing and tunes nothing: it says where the errors are (a late response, a slow recovery,
a rest that reads as a task throughout), not how to remove them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.metrics import f1_score

from models.calibration import decided, deployed_candidate
from models.datasets import DATASETS, Dataset
from models.features_cache import tables
from models.loso import score_subjects
from models.nested import anchor_settings

EDGES_S = (0.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0)  # time since the condition changed; the last bin is open


@dataclass
class Errors:
    """Ticks and errors, pooled: per stretch of the protocol, and per (stress, time-since-change bin)."""

    stretch: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (position, code) -> [ticks, errors]
    since: np.ndarray = field(default_factory=lambda: np.zeros((2, len(EDGES_S), 2), dtype=np.int64))

    @property
    def total(self) -> int:
        return int(self.since[..., 1].sum())


def stretches(label: np.ndarray) -> list[tuple[int, int]]:
    """The [start, end) of each run of one label code."""
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    return list(zip(starts.tolist(), np.r_[starts[1:], len(label)].tolist(), strict=True))


def add(errors: Errors, timeline: dict[str, np.ndarray], dataset: Dataset) -> None:
    """One subject's replay (``models.train.timeline``: t, label, distress per tick) into ``errors``."""
    t, label, p = timeline["t"].astype(float), timeline["label"].astype(float), timeline["distress"]
    y, scored = dataset.target(np.where(label < 0, np.nan, label))
    position = 0
    for a, b in stretches(label):
        keep = scored[a:b] & np.isfinite(p[a:b])  # a stretch's decided, scored ticks (not calibration, not hold)
        if not keep.any():
            continue
        truth, wrong = y[a:b][keep], (p[a:b][keep] >= 0.5) != y[a:b][keep].astype(bool)
        entry = errors.stretch.setdefault((position, int(label[a])), [0, 0])
        entry[0] += int(keep.sum())
        entry[1] += int(wrong.sum())
        which = np.searchsorted(EDGES_S, t[a:b][keep] - t[a], side="right") - 1
        np.add.at(errors.since, (truth, which, 0), 1)
        np.add.at(errors.since, (truth, which, 1), wrong.astype(np.int64))
        position += 1


def report(name: str, errors: Errors, dataset: Dataset) -> str:
    total, ticks_all = max(errors.total, 1), int(errors.since[..., 0].sum())
    kind = {**dict.fromkeys(dataset.stress, "stress"), **dict.fromkeys(dataset.calm, "calm")}
    lines = [f"{name}: {ticks_all} decided ticks, error rate {errors.total / max(1, ticks_all):.3f}"]
    lines.append("  stretches in order (position: condition code, ticks, error rate, share of the errors):")
    few = 0
    for (position, code), (ticks, wrong) in sorted(errors.stretch.items()):
        if ticks < 0.01 * ticks_all:  # a stretch few subjects have (a label repeated, a task cut short) says little
            few += ticks
            continue
        lines.append(f"    {position}: {kind.get(code, code)} ({code}), {ticks} ticks, {wrong / ticks:.3f}, "
                     f"{wrong / total:.3f}")
    if few:
        lines.append(f"    (stretches with under 1 % of the ticks left out: {few} ticks)")
    for truth, what in ((0, "calm"), (1, "stress")):
        cells = []
        for i, lo in enumerate(EDGES_S):
            ticks, wrong = errors.since[truth, i]
            span = f"{lo:g}-{EDGES_S[i + 1]:g} s" if i + 1 < len(EDGES_S) else f">= {lo:g} s"
            if ticks:
                cells.append(f"{span}: {wrong / ticks:.2f} ({wrong / total:.2f})")
        lines.append(f"  {what} by time since the change, error rate (share of the errors): " + "; ".join(cells))
    return "\n".join(lines)


def unscored(timelines: dict[str, dict[str, np.ndarray]], dataset: Dataset) -> list[str]:
    """Each unscored condition's decided ticks at distress >= 0.5, split by whether the stressor came just before
    it (the conditions between are transients and codes without a meaning), with each subject's stretches."""
    if not dataset.unscored:
        return []
    meaningful = {*dataset.stress, *dataset.calm, *(code for code, _ in dataset.unscored)}
    lines = []
    for code, name in dataset.unscored:
        counts = {True: [0, 0], False: [0, 0]}  # just after the stressor -> [decided ticks, at >= 0.5]
        subjects, as_calm = [], replace(dataset, calm=dataset.calm | {code})
        truth, called = [], []  # every decided tick scored with this condition as calm
        for key, timeline in timelines.items():
            if key.split("/")[0] != dataset.name:
                continue
            label, p = timeline["label"].astype(float), timeline["distress"].astype(float)
            y, scored = as_calm.target(np.where(label < 0, np.nan, label))
            truth.append(y[scored & np.isfinite(p)])
            called.append(p[scored & np.isfinite(p)] >= 0.5)
            before, shares = None, []
            for a, b in stretches(label):
                if label[a] == code and (decided := np.isfinite(p[a:b])).any():
                    after = before in dataset.stress
                    high = int((p[a:b][decided] >= 0.5).sum())
                    counts[after][0] += int(decided.sum())
                    counts[after][1] += high
                    shares.append(f"{high / decided.sum():.2f}{' after the stressor' if after else ''}")
                if label[a] in meaningful:
                    before = int(label[a])
            if shares:
                subjects.append(f"{key.split('/')[1]} {', '.join(shares)}")
        ticks = counts[True][0] + counts[False][0]
        if not ticks:
            continue
        parts = [f"{'right after the stressor' if after else 'otherwise'} {c[1] / c[0]:.3f} of {c[0]}"
                 for after, c in counts.items() if c[0]]
        macro = f1_score(np.concatenate(truth), np.concatenate(called), average="macro")
        lines.append(f"  not scored, {name} ({code}): {ticks} decided ticks, at distress >= 0.5 "
                     f"{(counts[True][1] + counts[False][1]) / ticks:.3f} ({'; '.join(parts)}); "
                     f"scored as calm, pooled macro-F1 {macro:.4f}")
        lines.append(f"    per subject, each stretch in order: {'; '.join(subjects)}")
    return lines


def main() -> None:
    jobs, kind, anchor, weights = deployed_candidate(__doc__)
    found = {n: tables(DATASETS[n], progress=False) for n in DATASETS}
    results, timelines = decided(found, anchor_settings(anchor), kind, weights, jobs)
    for name, dataset in DATASETS.items():
        errors = Errors()
        for key, timeline in timelines.items():
            if key.split("/")[0] == name:
                add(errors, timeline, dataset)
        scored = sum(len(v[0]) for v in results[name].values())  # what the evaluation scores: the same ticks
        print(f"{report(name, errors, dataset)}\n  (the evaluation's scored ticks: {scored}; pooled macro-F1 "
              f"{score_subjects(results[name])['macro_f1']:.4f})", *unscored(timelines, dataset), sep="\n", flush=True)


if __name__ == "__main__":
    main()
