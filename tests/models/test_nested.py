"""Nested selection: each subject is scored by the candidate chosen without it; the deployed one is chosen on all."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from agent.core.baseline import BaselineOptions
from models.anchor import ANCHORS_S
from models.loso import config_for, score_subjects
from models.nested import (
    Candidate,
    choose,
    criterion,
    nested,
    nested_choice,
    per_subject_f1,
    summary,
    verdict,
)

A, B = Candidate("logistic", 120.0), Candidate("boosted", 300.0)
GRID = tuple(Candidate("ensemble", a) for a in ANCHORS_S)  # a grid of the kind a check compares


def decisions(false_alarms: int, n: int = 10) -> tuple[np.ndarray, np.ndarray, int, dict]:
    """A subject's (y, p, ticks after calibration, levels): n calm then n stress ticks, all stress ticks
    caught and ``false_alarms`` calm ticks called stress."""
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    p = np.where(y == 1, 0.9, 0.1)
    p[:false_alarms] = 0.8
    return y, p, 2 * n, {}


def grid(errors: dict[Candidate, dict[str, dict[str, int]]]) -> dict[Candidate, dict]:
    return {c: {d: {s: decisions(k) for s, k in v.items()} for d, v in e.items()} for c, e in errors.items()}


# A is a little worse than B on every subject but one ("u"), where B is poor: A wins over everyone only
# because of u. Chosen without u, B wins; so u is scored with B's (poor) decisions, everyone else with A's.
ERRORS = {
    A: {"d1": {"u": 0, "s2": 2, "s3": 2}, "d2": {"t1": 2, "t2": 2}},
    B: {"d1": {"u": 9, "s2": 1, "s3": 1}, "d2": {"t1": 1, "t2": 1}},
}


def test_a_subject_that_decides_the_choice_is_scored_by_the_choice_made_without_it():
    results = grid(ERRORS)
    f1s = {c: per_subject_f1(r) for c, r in results.items()}
    assert choose(f1s) == A
    assert choose(f1s, without=("d1", "u")) == B
    figures, chosen = nested(results)
    assert chosen == {"d1": {"u": B, "s2": A, "s3": A}, "d2": {"t1": A, "t2": A}}
    assert summary(chosen) == {A.label: 4, B.label: 1}
    y, p = results[B]["d1"]["u"][:2]
    assert figures["d1"]["per_subject"]["u"]["macro_f1"] == round(f1_score(y, p >= 0.5, average="macro"), 4)
    assembled = {"u": results[B]["d1"]["u"], "s2": results[A]["d1"]["s2"], "s3": results[A]["d1"]["s3"]}
    assert figures["d1"] == score_subjects(assembled)  # scored exactly as the LOSO figures are
    assert figures["d2"] == score_subjects(results[A]["d2"])


def test_a_candidate_best_everywhere_is_chosen_for_every_subject():
    results = grid({A: {"d1": {"u": 0, "s2": 0}, "d2": {"t1": 1}}, B: {"d1": {"u": 1, "s2": 1}, "d2": {"t1": 2}}})
    figures, chosen = nested(results)
    assert {c for v in chosen.values() for c in v.values()} == {A}
    assert figures == {d: score_subjects(v) for d, v in results[A].items()}


def test_the_deployed_choice_is_the_argmax_of_the_criterion_over_every_subject():
    rng = np.random.default_rng(7)
    subjects = {"d1": ["a", "b", "c"], "d2": ["e", "f"], "d3": ["g", "h", "i", "j"]}
    results = grid({c: {d: {s: int(rng.integers(0, 8)) for s in v} for d, v in subjects.items()} for c in GRID})
    f1s = {c: per_subject_f1(r) for c, r in results.items()}
    by_hand = {c: np.mean([np.mean([f1_score(*_yp(results[c][d][s]), average="macro") for s in v])
                           for d, v in subjects.items()]) for c in GRID}
    assert criterion(f1s[choose(f1s)]) == pytest.approx(max(by_hand.values()))
    assert choose(f1s) == max(GRID, key=lambda c: (by_hand[c], -GRID.index(c)))  # ties to the earlier candidate


def _yp(r: tuple) -> tuple[np.ndarray, np.ndarray]:
    return r[0], r[1] >= 0.5


def test_a_subject_with_one_class_does_not_count_towards_the_criterion():
    one_class = (np.zeros(10, int), np.full(10, 0.9), 10, {})
    results = {A: {"d1": {"u": decisions(0), "v": one_class}}, B: {"d1": {"u": decisions(1), "v": decisions(0)}}}
    f1s = {c: per_subject_f1(r) for c, r in results.items()}
    assert "v" not in f1s[A]["d1"] and criterion(f1s[A]) == 1.0
    assert choose(f1s) == A  # A: 1.0 over u alone; B: the mean of 0.95 (u) and 1.0 (v)


def test_a_candidate_runs_with_its_anchor_in_the_agent_settings():
    for c in GRID:
        assert config_for(text=c.settings()).top.baseline.anchor_tau_s == c.anchor_tau_s
    assert BaselineOptions().anchor_tau_s in ANCHORS_S  # models.anchor compares the agent's own constant


def test_the_calibration_check_counts_only_subjects_every_length_scored():
    """60 s scores one subject more ("x", perfectly) than 120 s does. Counted, x would make 60 s win without
    any other subject; only subjects scored under every length count and enter the criteria, so 120 s,
    better on each of them, wins for all three, and x is not among them."""
    f1s = {
        60.0: {"d1": {"a": 0.8, "b": 0.8, "c": 0.8, "x": 1.0}},
        120.0: {"d1": {"a": 0.85, "b": 0.85, "c": 0.85}},
    }
    assert criterion(f1s[60.0], without=("d1", "a")) > criterion(f1s[120.0], without=("d1", "a"))  # x counted
    assert nested_choice(f1s) == {120.0: 3}


def test_a_nested_check_ends_with_the_subjects_each_value_won_and_the_nested_figures():
    """The closing lines of models.skin_anchor and models.eeg_smoothing: the ERRORS grid by setting value."""
    by_value = {5.0: ERRORS[A], 10.0: ERRORS[B]}
    results = {v: grid({A: e})[A] for v, e in by_value.items()}
    counts, figures = verdict(results, 5.0).splitlines()
    assert counts == "nested choice over 5 subjects: 5 s for 4, 10 s for 1; the agent's default is 5 s"
    honest, _ = nested(results)  # type: ignore[arg-type]
    assert figures == f"nested pooled macro-F1 { {d: round(v['macro_f1'], 4) for d, v in honest.items()} }"


def test_a_recording_without_labels_has_no_coverage_rather_than_none_covered():
    unlabelled = (np.zeros(0, int), np.zeros(0), 0, {})  # replayed, but no scored tick after calibration
    figures = score_subjects({"u": decisions(1), "v": unlabelled})
    assert figures["per_subject"]["v"] == {"decided": 0, "coverage": None}
    assert figures["per_subject"]["u"]["coverage"] == 1.0
    assert figures["coverage"] == 1.0  # the pooled share counts the labelled subject's ticks only
