"""The model slot: requests take effect only between ticks; shadow compares; probation rolls back on the spot."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from agent.core.features import GROUPS
from agent.core.model.runtime import DistressModel
from agent.core.signals.quality import QualityReport
from agent.runtime.updates.probe import probe_vector
from agent.runtime.updates.slot import ModelSlot, Request, SlotSwitch
from tests.support.model_variants import make_variant, nan_on_data


def vector(z_value: float, *, eeg_ok: bool = True):
    z, fv = probe_vector()
    quality = {g: QualityReport(1.0 if (g != "eeg" or eeg_ok) else 0.0, ()) for g in GROUPS}
    return np.full_like(z, z_value), dataclasses.replace(fv, quality=quality)


def test_requests_wait_for_the_tick_boundary_and_shadow_never_decides(tmp_path: Path):
    current = DistressModel.load()
    candidate = DistressModel.load(make_variant(tmp_path / "c", "candidate-1"))
    slot = ModelSlot(current, 0)
    switch = SlotSwitch(slot)
    slot.request(Request("shadow", candidate, 1))
    assert slot.mode == "steady"  # not before the boundary
    switch.feed(object())
    assert slot.mode == "shadow" and slot.version == current.version
    for value in (0.0, 0.5, -0.5, 1.0):
        assert slot.infer(*vector(value)).distress == current.infer(*vector(value)).distress
    c = slot.comparison
    assert (c.ticks, c.compared, c.agree, c.nan, c.errors) == (4, 4, 4, 0, 0)  # same weights: same decisions
    slot.request(Request("promote", candidate, 1))
    switch.feed(object())
    assert (slot.mode, slot.version, slot.active_version, slot.fallback_version) == ("probation", "candidate-1", 1, 0)
    slot.request(Request("commit"))
    switch.feed(object())
    assert (slot.mode, slot.fallback) == ("steady", None)


def test_a_nan_in_probation_is_decided_by_the_previous_model_and_rolls_back(tmp_path: Path):
    current = DistressModel.load()
    broken = DistressModel.load(make_variant(tmp_path / "n", "nan-1", graph=nan_on_data))
    slot = ModelSlot(current, 0)
    slot.request(Request("promote", broken, 1))
    slot.apply_pending()
    fine = slot.infer(*vector(0.0))  # at the baseline sqrt(0) is fine
    assert slot.mode == "probation" and np.isfinite(fine.distress)
    result = slot.infer(*vector(1.0))
    assert result.distress == current.infer(*vector(1.0)).distress  # this very tick: the previous model
    assert (slot.mode, slot.version, slot.active_version) == ("steady", current.version, 0)
    assert slot.failure is not None and "non-finite" in slot.failure


def test_a_new_model_that_stays_silent_while_the_old_one_votes_is_rolled_back(tmp_path: Path):
    current = DistressModel.load()
    eeg_only = DistressModel.load(make_variant(tmp_path / "e", "eeg-only", groups=("eeg",)))
    slot = ModelSlot(current, 0, max_silent=3)
    slot.request(Request("promote", eeg_only, 1))
    slot.apply_pending()
    no_eeg = vector(0.3, eeg_ok=False)
    for _ in range(3):
        slot.infer(*no_eeg)
        assert slot.mode == "probation"
    assert slot.infer(*no_eeg) is not None  # the fourth silent tick: the previous model answers, and stays
    assert slot.mode == "steady" and "no vote for 4 ticks" in (slot.failure or "")
