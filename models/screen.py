"""A quick look at a modelling idea before a full LOSO: ``python -m models.screen VARIANT ... [--policy]``.

``models.variant`` judges a change of settings as the model is judged (every kind retrained per fold, each
subject decided by the core). A screen is cheaper, for ideas that change what the model is fitted on rather
than the agent's settings: per left-out subject, one logistic model (``models.fit.fit_logistic``'s, the
simplest of the ensemble's members) fitted on the other subjects' training rows as ``models.train`` builds
them, with the variant's change; then

- at tick level (the default): scored on the subject's own training ticks (calibrated, labelled, settled),
  no policy; a dataset's figure is the mean of its subjects' macro-F1;
- with ``--policy``: handed to the core's policy in place of the ONNX model and the subject decided from
  its recording's start, as ``edge-agent replay`` decides it; pooled over the decided ticks, as
  ``evaluation.json`` is.

Each variant is printed beside ``plain`` (the same screen with nothing changed), with how many subjects did
better and worse. The model card's "Other checks" that name a screen were measured with it; tick-level
gains have not always survived the policy (``cardiac-by-source``), so a variant is judged with both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from agent.core.feature_specs import GROUPS
from agent.core.features import FEATURE_NAMES, GROUP_OF, FeatureVector
from agent.core.model.runtime import Inference
from models.datasets import DATASETS
from models.features_cache import tables
from models.fit import COMMITTED, Heartless, Rows, _presence, augmented, subject_rows
from models.loso import classify, config_for, decide, table_ticks
from models.subjects import Subject, prepare
from models.variant import TIE

_GROUP = np.array(GROUP_OF)
_CARDIAC = _GROUP == GROUPS.index("cardiac")


def _ecg(s: Subject) -> bool:
    """The subject's heart comes from an ECG (EEGMAT), not from a wrist pulse."""
    return "ecg" in DATASETS[s.dataset].streams


@dataclass(frozen=True)
class Variant:
    about: str
    weight: Callable[[Subject, Subject], float] = lambda row, held: 1.0  # a training subject's weight
    drop: tuple[str, ...] = ()  # sensor groups left out, in training and scoring
    by_source: bool = False  # each cardiac feature in one column for an ECG and another for a pulse
    pulse_drops: tuple[str, ...] = ()  # features left out where the heart is a wrist pulse


VARIANTS = {
    "plain": Variant("nothing changed"),
    "own-dataset": Variant("trained on the held-out subject's own dataset alone",
                           weight=lambda row, held: 1.0 if row.dataset == held.dataset else 0.0),
    "own-dataset-x3": Variant("its own dataset weighted 3 times",
                              weight=lambda row, held: 3.0 if row.dataset == held.dataset else 1.0),
    "without-cardiac": Variant("the heart left out (scored where another group votes)", drop=("cardiac",)),
    "without-eda": Variant("skin conductance left out (scored where another group votes)", drop=("eda",)),
    "cardiac-by-source": Variant("the heart's features learned apart for an ECG and a wrist pulse", by_source=True),
    "pulse-without-hrv": Variant("a wrist pulse gives heart rate and mean interval only",
                                 pulse_drops=("sdnn_ms", "rmssd_ms", "pnn50_pct", "lf_ms2", "hf_ms2", "lf_hf")),
}


def _usable(v: Variant, usable: np.ndarray, ecg: bool) -> np.ndarray:
    out = usable.copy()
    for g in v.drop:
        out[..., _GROUP == GROUPS.index(g)] = False
    if not ecg:
        out[..., np.isin(FEATURE_NAMES, v.pulse_drops)] = False
    return out


def design(v: Variant, z: np.ndarray, usable: np.ndarray, ecg: np.ndarray | bool) -> np.ndarray:
    """The logistic's columns: usable z-scores and group presence, as ``fit_logistic`` has them, and with
    ``by_source`` the cardiac ones moved to columns of their own in the rows whose heart is an ECG."""
    zu, presence = np.where(usable, z, 0.0), _presence(usable)
    if not v.by_source:
        return np.hstack([zu, presence])
    from_ecg = np.broadcast_to(np.asarray(ecg, bool), (len(zu),))[:, None]
    cardiac = np.where(from_ecg, zu[:, _CARDIAC], 0.0), np.where(from_ecg, presence[:, :1], 0.0)
    zu[:, _CARDIAC] = np.where(from_ecg, 0.0, zu[:, _CARDIAC])
    presence[:, :1] = np.where(from_ecg, 0.0, presence[:, :1])
    return np.hstack([zu, presence, *cardiac])


def fit(v: Variant, others: list[Subject], held: Subject) -> LogisticRegression:
    """The rows ``models.train`` fits a fold on (:func:`models.subjects.rows_of`), the variant's change made:
    with nothing changed, the committed recipe's logistic member."""
    parts, ecg = [], []
    for o in others:
        weight = v.weight(o, held)
        if weight == 0:
            continue
        usable = _usable(v, o.usable, _ecg(o))
        heartless = None if o.heartless is None else Heartless(o.heartless.z, _usable(v, o.heartless.usable, _ecg(o)))
        rows = subject_rows(o.z, usable, o.y, o.train & usable.any(axis=1), heartless)
        rows.w = rows.w * weight
        parts.append(rows)
        ecg.append(np.full(len(rows.y), _ecg(o)))
    rows = augmented(Rows.join(parts), COMMITTED.seed)
    x = design(v, rows.z, rows.usable, np.tile(np.concatenate(ecg), 2))  # augmented: the rows, then their copy
    clf = LogisticRegression(C=COMMITTED.logistic_c, max_iter=3000)
    return clf.fit(x, rows.y, sample_weight=rows.w * len(rows.w) / rows.w.sum())


class StandIn:
    """A fitted screen model where the policy expects the ONNX model: the same answer per tick."""

    version = "screen"

    def __init__(self, v: Variant, clf: LogisticRegression, ecg: bool) -> None:
        self.v, self.clf, self.ecg = v, clf, ecg

    def infer(self, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        usable = _usable(self.v, fv.usable, self.ecg)
        if not usable.any():
            return None
        x = design(self.v, z[None, :].astype(np.float64), usable[None, :], self.ecg)
        p = float(self.clf.predict_proba(x)[0, 1])
        voted = tuple(g for k, g in enumerate(GROUPS) if usable[_GROUP == k].any())
        terms = tuple((FEATURE_NAMES[i], 0.0) for i in np.flatnonzero(usable))  # the reasons are not screened
        return Inference(distress=p, confidence=1.0, groups=voted, terms=terms)


def screen(v: Variant, others: list[Subject], held: Subject, policy: bool) -> tuple[np.ndarray, np.ndarray]:
    """The held-out subject's (y, p): over its training ticks, or over the ticks the policy decided."""
    clf = fit(v, others, held)
    if not policy:
        usable = _usable(v, held.usable, _ecg(held))
        scored = held.train & usable.any(axis=1)
        x = design(v, held.z[scored], usable[scored], _ecg(held))
        return held.y[scored].astype(int), clf.predict_proba(x)[:, 1]
    config = config_for()
    ticks = table_ticks(held.table, config.top.features.min_quality)
    lines = decide(ticks, held.table, config, model=StandIn(v, clf, _ecg(held)))
    y, p, _ = classify(lines, DATASETS[held.dataset])
    return y, p


def _f1(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(f1_score(y, p >= 0.5, average="macro")) if len(np.unique(y)) == 2 else None


def main(argv: list[str] | None = None) -> None:
    epilog = "variants:\n" + "\n".join(f"  {n:20} {v.about}" for n, v in VARIANTS.items() if n != "plain")
    parser = argparse.ArgumentParser(description=__doc__, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", choices=sorted(set(VARIANTS) - {"plain"}))
    parser.add_argument("--policy", action="store_true", help="decide each subject through the core's policy")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    args = parser.parse_args(argv)
    subjects = [s for name in DATASETS for s in prepare(DATASETS[name], tables(DATASETS[name], progress=False))]
    names = ["plain", *args.variants]
    got: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {n: {} for n in names}
    for i, held in enumerate(subjects):
        if held.dataset not in args.datasets or not held.train.any() or len(np.unique(held.y[held.train])) < 2:
            continue
        others = subjects[:i] + subjects[i + 1:]
        for n in names:
            got[n][held.key] = screen(VARIANTS[n], others, held, args.policy)
        print(held.key, {n: round(f, 3) for n in names if (f := _f1(*got[n][held.key])) is not None}, flush=True)
    for name in args.datasets:
        keys = [k for k in got["plain"] if k.startswith(name + "/")]
        for n in names:
            if args.policy:  # pooled, as evaluation.json
                y = np.concatenate([got[n][k][0] for k in keys])
                figure = _f1(y, np.concatenate([got[n][k][1] for k in keys]))
            else:
                figure = float(np.mean([f for k in keys if (f := _f1(*got[n][k])) is not None]))
            per = [(_f1(*got[n][k]) or 0.0) - (_f1(*got["plain"][k]) or 0.0) for k in keys]
            better, worse = sum(d > TIE for d in per), sum(d < -TIE for d in per)
            print(f"{name}: {n} {figure:.4f}" + ("" if n == "plain" else f", better for {better}, worse for {worse}"))


if __name__ == "__main__":
    main()
