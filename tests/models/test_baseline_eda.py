"""The one-line reference: a fitted ``Reference`` decides exactly as the logistic regression it came from, and
is compared with the model over the ticks both decide."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from models.baseline_eda import confusion, fit, on_shared_ticks, shared_figures
from models.datasets import WESAD
from models.loso import classify, decided_ticks, timeline
from models.sampling import macro_f1


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quarter=st.integers(2, 100), shift=st.floats(-3, 3), scale=st.floats(0.1, 5))
def test_a_fitted_reference_decides_as_its_logistic_regression(seed: int, quarter: int, shift: float, scale: float):
    rng, n = np.random.default_rng(seed), 4 * quarter
    subjects = []
    for _ in range(3):
        y = rng.integers(0, 2, n).astype(np.int8)
        y[[0, 4]] = (0, 1)  # both classes among the ticks fit keeps, as in a recording with a stressor
        subjects.append((rng.normal(shift * y, scale), y))
    reference = fit(subjects)
    z = np.concatenate([s[0] for s in subjects])
    y = np.concatenate([s[1] for s in subjects])
    clf = LogisticRegression(class_weight="balanced").fit(z[::4, None], y[::4])  # every 4th tick, as fit takes
    assert reference.subjects == 3
    assert confusion(y, reference.decide(z)) == confusion_matrix(y, clf.predict(z[:, None]), labels=[0, 1]).tolist()


def test_the_model_and_the_reference_are_compared_on_the_ticks_both_decide():
    t = np.arange(10, dtype=float)
    model = (t, np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]), np.array([1, 1, 1, 1, 1, 1, 0, 1, 1, 1]))
    later = t[4:] + 2  # the reference from tick 6 on, past the model's last tick as well
    reference = (later, np.array([0, 1, 1, 1, 0, 0]), np.array([0, 0, 1, 1, 1, 1]))
    ours, theirs = on_shared_ticks(model, reference)
    assert ours == [[0, 0], [1, 3]]  # ticks 6-9 only: the model's errors before tick 5 are not counted
    assert theirs == [[1, 0], [1, 2]]  # ticks 6-9 of the reference: targets 0, 1, 1, 1 and said 0, 0, 1, 1
    assert on_shared_ticks(model, (t[:0], np.array([], int), np.array([], int))) is None
    figures = shared_figures({"A": (ours, theirs), "B": ([[2, 0], [0, 2]], [[2, 0], [0, 2]])})
    assert figures["ticks"] == 8
    assert figures["model"]["per_subject"] == {"A": 0.4286, "B": 1.0}  # tick 6 missed: calm F1 0, stress F1 6/7
    assert figures["model"]["macro_f1"] == round(float(macro_f1(np.array([[2, 0], [1, 5]]))), 4)


def test_a_timeline_is_decided_on_the_ticks_the_evaluation_scores():
    calibrating = {"distress": None, "level": "hold", "reasons": ["hold: calibrating baseline (40%)"]}
    lines = [{"t": 0.0, "label": 1, **calibrating}, {"t": 0.25, "label": 1, **calibrating},
             {"t": 0.5, "label": 1, "distress": 0.7, "level": "elevated", "reasons": []},
             {"t": 0.75, "label": 4, "distress": 0.9, "level": "distressed", "reasons": []},  # meditation: unscored
             {"t": 1.0, "label": 2, "distress": None, "level": "hold", "reasons": ["hold: no sensor"]},
             {"t": 1.25, "label": 2, "distress": 0.2, "level": "calm", "reasons": []},
             {"t": 1.5, "label": 3, "distress": 0.5, "level": "elevated", "reasons": []}]
    t, y, said = decided_ticks(timeline(lines), WESAD)
    truth, p, _ = classify(lines, WESAD)
    assert t.tolist() == [0.5, 1.25, 1.5]
    assert y.tolist() == truth.tolist() == [0, 1, 0] and said.tolist() == (p >= 0.5).astype(int).tolist() == [1, 0, 1]
