"""The one-line reference: a fitted ``Reference`` decides exactly as the logistic regression it came from."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from models.baseline_eda import fit


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
    assert reference.confusion(z, y) == confusion_matrix(y, clf.predict(z[:, None]), labels=[0, 1]).tolist()
