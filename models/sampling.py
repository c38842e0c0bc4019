"""How far a pooled macro-F1 moves with the few subjects it is computed on, from LOSO's own subjects.

The issue scores subjects held back from ``../shared/data`` again independently: three WESAD, eight
Stress-Predict and eight EEGMAT. Over so few people the pooled figure moves with who they happen to
be, before any difference between them and LOSO's subjects: this says how far. Each draw pools the
LOSO decisions of ``n`` distinct subjects (their confusion matrices summed, as the pooled figure sums
ticks); every subset is drawn where there are at most ``DRAWS``, else ``DRAWS`` random ones. A
bootstrap over all of a dataset's subjects (drawn with replacement) gives the interval of the LOSO
figure itself. Seeded, so ``models.train`` writes the same figures every time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np

HELD_OUT = {"wesad": 3, "stress-predict": 8, "eegmat": 8}  # the held-out subjects per dataset
DRAWS = 20_000
GAP = 0.03  # the aim: held-out at most this far below LOSO
SEED = 0


def macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Macro-F1 of binary confusion matrices ``[..., [[tn, fp], [fn, tp]]]``; a class neither labelled nor
    predicted scores 0, as scikit-learn's ``f1_score`` does by default."""
    c = np.asarray(confusion, dtype=float)
    tn, fp, fn, tp = c[..., 0, 0], c[..., 0, 1], c[..., 1, 0], c[..., 1, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1_calm = np.where(2 * tn + fp + fn > 0, 2 * tn / (2 * tn + fp + fn), 0.0)
        f1_stress = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return (f1_calm + f1_stress) / 2


def _subsets(subjects: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Index rows of ``n`` distinct subjects: every subset when there are few enough, else random ones."""
    if math.comb(subjects, n) <= DRAWS:
        return np.array(list(itertools.combinations(range(subjects), n)), dtype=int), True
    return np.argsort(rng.random((DRAWS, subjects)), axis=1)[:, :n], False


def rank(figure: float, confusions: list[list[list[int]]], n: int, seed: int = SEED) -> dict[str, object]:
    """Where a pooled macro-F1 over ``n`` other subjects falls among draws of ``n`` of these: the share of draws
    below it, and the draws' 5th percentile, median and 95th (drawn with replacement when ``n`` is more)."""
    c = np.asarray(confusions, dtype=float)
    rng = np.random.default_rng(seed)
    rows = _subsets(len(c), n, rng)[0] if n <= len(c) else rng.integers(0, len(c), size=(DRAWS, n))
    drawn = macro_f1(c[rows].sum(axis=1))
    return {
        "draws": len(rows),
        "below_share": round(float(np.mean(drawn < figure)), 4),
        "p05": round(float(np.quantile(drawn, 0.05)), 4),
        "median": round(float(np.median(drawn)), 4),
        "p95": round(float(np.quantile(drawn, 0.95)), 4),
    }


def spread(confusions: list[list[list[int]]], n: int, seed: int = SEED,
           reference: list[list[list[int]]] | None = None, names: list[str] | None = None) -> dict[str, object]:
    """The pooled macro-F1 over ``n`` subjects drawn from these, and the bootstrap interval over all of them.
    With a ``reference`` (another detector's confusions of the same subjects, in the same order; zeros where
    it scored none), also how often the draw pools below the reference's pooled figure over the same subjects,
    and the subjects (``names``) in every such draw, with each one's figure and the reference's."""
    c = np.asarray(confusions, dtype=float)
    rng = np.random.default_rng(seed)
    everyone = float(macro_f1(c.sum(axis=0)))
    rows, exact = _subsets(len(c), n, rng)
    drawn = macro_f1(c[rows].sum(axis=1))
    boot = macro_f1(c[rng.integers(0, len(c), size=(DRAWS, len(c)))].sum(axis=1))
    out: dict[str, object] = {
        "subjects": len(c),
        "drawn": n,
        "draws": len(rows),
        "every_subset": exact,
        "pooled": round(everyone, 4),
        "bootstrap_p05": round(float(np.quantile(boot, 0.05)), 4),
        "bootstrap_p95": round(float(np.quantile(boot, 0.95)), 4),
        "drawn_p05": round(float(np.quantile(drawn, 0.05)), 4),
        "drawn_median": round(float(np.median(drawn)), 4),
        "drawn_p95": round(float(np.quantile(drawn, 0.95)), 4),
        # the share of draws that would miss the aim with no gap between LOSO and held-out at all
        "drawn_below_gap_share": round(float(np.mean(drawn < everyone - GAP)), 4),
    }
    if reference is not None:
        r = np.asarray(reference, dtype=float)
        out["reference_pooled"] = round(float(macro_f1(r.sum(axis=0))), 4)
        below = drawn < macro_f1(r[rows].sum(axis=1))
        out["drawn_below_reference_share"] = round(float(np.mean(below)), 4)
        if below.any() and names is not None:
            always = set.intersection(*(set(row) for row in rows[below].tolist()))
            out["in_every_draw_below_reference"] = {
                names[i]: {"macro_f1": round(float(macro_f1(c[i])), 4), "reference": round(float(macro_f1(r[i])), 4)}
                for i in sorted(always)
            }
    return out


def held_out_spread(loso: Mapping[str, dict],
                    reference: Mapping[str, Mapping[str, list]] | None = None) -> dict[str, dict[str, object]]:
    """``spread`` for each dataset of a LOSO's figures (``models.loso.score_subjects``) the issue holds back,
    paired with the one-line reference's confusions per subject where ``reference`` has the dataset
    (``models.baseline_eda.confusions`` of its ``loso_decided``)."""
    out = {}
    for name, figures in loso.items():
        if name not in HELD_OUT:
            continue
        scored = {s: e["confusion"] for s, e in figures["per_subject"].items() if "confusion" in e}
        theirs = (reference or {}).get(name)
        paired = None if theirs is None else [theirs.get(s, [[0, 0], [0, 0]]) for s in scored]
        out[name] = spread(list(scored.values()), HELD_OUT[name], reference=paired, names=list(scored))
    return out


def card_section(spreads: Mapping[str, dict]) -> list[str]:
    """The model card's account of ``held_out_spread``: a table and what it means for the issue's aims."""
    if not spreads:
        return []
    rows = [
        "### How far a few subjects move these figures",
        "",
        "The issue scores subjects held back from the data again independently:",
        ", ".join(f"{n} from {d}" for d, n in HELD_OUT.items()) + ". Over so few people a pooled",
        "macro-F1 moves with who they happen to be, even if nothing else differs from LOSO. Below, that many",
        "subjects drawn from those above with decided ticks, their LOSO decisions pooled as the figures pool",
        f"them (every subset where there are at most {DRAWS:,}, else {DRAWS:,} at random), and a bootstrap over all",
        "of a dataset's subjects for the interval of its LOSO figure (`models/sampling.py`). The last column",
        "pools the one-line reference's LOSO decisions over the same subjects in each draw.",
        "",
        "| Dataset | LOSO pooled | 90 % interval, bootstrap | Subjects drawn | Pooled over them: 5th percentile,"
        f" median, 95th | Draws more than {GAP:g} below LOSO | Draws below the reference |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in spreads.items():
        how = f"every subset, {s['draws']:,}" if s["every_subset"] else f"{s['draws']:,} at random"
        below = s.get("drawn_below_reference_share")
        rows.append(
            f"| {name} | {s['pooled']:.3f} | {s['bootstrap_p05']:.3f}–{s['bootstrap_p95']:.3f} | {s['drawn']} of"
            f" {s['subjects']} ({how}) | {s['drawn_p05']:.3f}, {s['drawn_median']:.3f}, {s['drawn_p95']:.3f} |"
            f" {100 * s['drawn_below_gap_share']:.1f} % | {'–' if below is None else f'{100 * below:.1f} %'} |"
        )
    held = [
        f"- {name}: every draw below the reference holds "
        + ", ".join(f"{k} (macro-F1 {v['macro_f1']:.3f}, the reference's {v['reference']:.3f})" for k, v in always.items())
        + "."
        for name, s in spreads.items()
        if (always := s.get("in_every_draw_below_reference"))
    ]
    return rows + ([""] + held if held else []) + [
        "",
        f"The issue aims for held-out figures at most {GAP:g} below LOSO, and none below the one-line",
        "reference. The column before last is the share of draws that would miss the first aim with no gap",
        "between LOSO and held-out at all. Over so few subjects, only a held-out figure below the 5th",
        "percentile says more about the model than about who was drawn.",
        "",
    ]
