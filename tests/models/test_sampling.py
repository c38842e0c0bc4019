"""How far a pooled macro-F1 moves with the few subjects it is computed on (models.sampling)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix, f1_score

from models.loso import score_subjects
from models.sampling import DRAWS, GAP, HELD_OUT, card_section, held_out_spread, macro_f1, spread


def subject(rest: int, stress: int, false_alarms: int, missed: int) -> tuple[np.ndarray, np.ndarray, int, dict]:
    """A subject's (y, p, ticks after calibration, levels) with the errors given."""
    y = np.r_[np.zeros(rest, int), np.ones(stress, int)]
    p = np.r_[np.arange(rest) < false_alarms, np.arange(stress) >= missed].astype(float)
    return y, p, rest + stress, {}


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_macro_f1_of_a_confusion_is_scikit_learns_of_its_ticks(ticks):
    y = np.array([t for t, _ in ticks], dtype=int)
    pred = np.array([p for _, p in ticks], dtype=int)
    c = confusion_matrix(y, pred, labels=[0, 1])
    assert math.isclose(float(macro_f1(c)), f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0))


def test_the_subjects_confusions_pool_to_the_pooled_figure():
    figures = score_subjects({"a": subject(40, 30, 5, 2), "b": subject(20, 50, 0, 20), "c": subject(60, 10, 12, 0)})
    confusions = [e["confusion"] for e in figures["per_subject"].values()]
    assert np.sum(confusions, axis=0).tolist() == figures["confusion"]
    assert spread(confusions, 2)["pooled"] == figures["macro_f1"]


def test_alike_subjects_give_no_spread():
    confusions = [[[90, 10], [5, 95]]] * 12
    out = spread(confusions, 3)
    assert out["drawn_p05"] == out["drawn_median"] == out["drawn_p95"] == out["pooled"]
    assert out["bootstrap_p05"] == out["bootstrap_p95"] == out["pooled"]
    assert out["drawn_below_gap_share"] == 0.0


def test_few_subjects_are_drawn_in_every_subset_and_many_at_random_the_same_each_time():
    rng = np.random.default_rng(1)
    confusions = [[[int(a), int(b)], [int(c), int(d)]] for a, b, c, d in rng.integers(0, 200, size=(27, 4))]
    few = spread(confusions[:12], HELD_OUT["wesad"])
    assert few["every_subset"] and few["draws"] == math.comb(12, 3)
    many = spread(confusions, HELD_OUT["stress-predict"])
    assert not many["every_subset"] and many["draws"] == DRAWS
    assert many == spread(confusions, HELD_OUT["stress-predict"])  # seeded: the card's figures repeat
    assert many["drawn_p05"] < many["drawn_median"] < many["drawn_p95"]
    assert many["bootstrap_p05"] < many["pooled"] < many["bootstrap_p95"]
    # fewer subjects, wider spread: a pooled figure over 8 moves more than the bootstrap over all 27
    assert many["drawn_p95"] - many["drawn_p05"] > many["bootstrap_p95"] - many["bootstrap_p05"]


def test_one_poor_subject_in_four_puts_the_draws_that_hold_it_below_the_gap():
    good, poor = [[100, 0], [0, 100]], [[0, 100], [100, 0]]
    out = spread([good, good, good, poor], 2)
    # pooled 0.75; a pair with the poor subject pools to 0.5, more than GAP below: 3 of the 6 pairs
    assert out["pooled"] == 0.75 and out["pooled"] - 0.5 > GAP
    assert out["drawn_below_gap_share"] == 0.5


def test_held_out_spread_covers_the_held_out_datasets_and_their_decided_subjects():
    per = {"a": subject(40, 30, 5, 2), "b": subject(20, 50, 0, 20), "c": subject(60, 10, 12, 0), "d": subject(30, 30, 3, 3)}
    unlabelled = (np.zeros(0, int), np.zeros(0), 0, {})
    loso = {"wesad": score_subjects({**per, "none": unlabelled}), "elsewhere": score_subjects(per)}
    out = held_out_spread(loso)
    assert list(out) == ["wesad"]
    assert out["wesad"]["subjects"] == 4 and out["wesad"]["draws"] == math.comb(4, HELD_OUT["wesad"])


def test_a_reference_is_paired_subject_by_subject_and_one_it_did_not_score_adds_nothing():
    model = {"a": subject(40, 30, 5, 2), "b": subject(20, 50, 0, 20), "c": subject(60, 10, 12, 0), "d": subject(30, 30, 3, 3)}
    loso = {"wesad": score_subjects(model)}
    perfect = {s: [[int(np.sum(y == 0)), 0], [0, int(np.sum(y == 1))]] for s, (y, *_) in model.items()}
    assert held_out_spread(loso, {"wesad": perfect})["wesad"]["drawn_below_reference_share"] == 1.0
    always_stress = {s: [[0, int(np.sum(y == 0))], [0, int(np.sum(y == 1))]] for s, (y, *_) in model.items()}
    out = held_out_spread(loso, {"wesad": always_stress})["wesad"]
    assert out["drawn_below_reference_share"] == 0.0
    without_b = {s: c for s, c in always_stress.items() if s != "b"}
    assert held_out_spread(loso, {"wesad": without_b})["wesad"]["reference_pooled"] == round(
        float(macro_f1(np.sum(list(without_b.values()), axis=0))), 4)


def test_the_card_names_the_subject_in_every_draw_below_the_reference():
    right, wrong, near = [[100, 0], [0, 100]], [[0, 100], [100, 0]], [[90, 10], [10, 90]]
    # the model is right on a, b and c and wrong on d; the reference nearly right on a, b and c and right on d
    out = spread([right, right, right, wrong], 3, reference=[near, near, near, right], names=["a", "b", "c", "d"])
    assert out["drawn_below_reference_share"] == 0.75  # the three draws with d
    assert out["in_every_draw_below_reference"] == {"d": {"macro_f1": 0.0, "reference": 1.0}}
    text = "\n".join(card_section({"wesad": out}))
    assert "| wesad | 0.750 |" in text and "| 75.0 % |" in text
    assert "- wesad: every draw below the reference holds d (macro-F1 0.000, the reference's 1.000)." in text
    assert "holds" not in "\n".join(card_section({"wesad": spread([right, right, right, wrong], 3)}))
