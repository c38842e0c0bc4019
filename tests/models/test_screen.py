"""The screen fits what training fits, changed only as its variant says (models/screen.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agent.core.features import FEATURE_NAMES, GROUP_OF
from models import screen
from models.fit import COMMITTED, fit_member
from models.subjects import rows_of

CARDIAC = np.array(GROUP_OF) == 0
F = len(FEATURE_NAMES)


def test_the_plain_screen_is_the_ensembles_logistic_member(eegmat):
    held, others = eegmat[0], eegmat[1:]
    clf = screen.fit(screen.VARIANTS["plain"], others, held)
    member = fit_member("logistic", rows_of(others, "all", COMMITTED.seed), COMMITTED)
    assert member.coef is not None
    assert clf.coef_[0][:F] == pytest.approx(member.coef, abs=1e-9)
    assert clf.coef_[0][F:] == pytest.approx(member.presence, abs=1e-9)
    assert float(clf.intercept_[0]) == pytest.approx(member.intercept, abs=1e-9)


def test_by_source_moves_an_ecgs_cardiac_columns_and_leaves_a_pulses():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4, F))
    usable = np.ones((4, F), bool)
    v = screen.VARIANTS["cardiac-by-source"]
    plain = screen.design(screen.VARIANTS["plain"], z, usable, False)
    x = screen.design(v, z, usable, np.array([True, False, True, False]))
    shared, extra = x[:, : plain.shape[1]], x[:, plain.shape[1]:]
    assert extra.shape[1] == CARDIAC.sum() + 1
    ecg, pulse = np.array([0, 2]), np.array([1, 3])
    assert (shared[pulse] == plain[pulse]).all() and (extra[pulse] == 0).all()
    assert (shared[ecg][:, :F][:, CARDIAC] == 0).all() and (shared[ecg][:, F] == 0).all()  # cardiac presence
    assert (extra[ecg][:, :-1] == z[ecg][:, CARDIAC]).all() and (extra[ecg][:, -1] == 1).all()
    assert (shared[ecg][:, :F][:, ~CARDIAC] == z[ecg][:, ~CARDIAC]).all()


def test_a_group_left_out_neither_trains_nor_votes(eegmat):
    held, others = eegmat[0], eegmat[1:]
    v = screen.VARIANTS["without-cardiac"]
    clf = screen.fit(v, others, held)
    assert (clf.coef_[0][:F][CARDIAC] == 0).all() and clf.coef_[0][F] == 0  # never usable: no weight
    y, p = screen.screen(v, others, held, policy=False)
    voting = held.train & (held.usable & ~CARDIAC).any(axis=1)
    assert len(y) == len(p) == voting.sum()


def test_through_the_policy_the_stand_in_decides_from_the_recordings_start(eegmat):
    held, others = eegmat[0], eegmat[1:]
    y, p = screen.screen(screen.VARIANTS["plain"], others, held, policy=True)
    assert len(y) == len(p) > 0 and set(np.unique(y)) == {0, 1}
    assert ((0 <= p) & (p <= 1)).all()
