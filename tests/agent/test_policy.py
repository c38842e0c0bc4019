"""The adaptation policy: hold, gating, two speeds, hysteresis and rate limits (agent/core/policy.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from agent.base.adaptation import Level
from agent.core.baseline import BaselineOptions, PatientBaseline
from agent.core.features import FEATURE_NAMES, FEATURES
from agent.core.model.runtime import DistressModel
from agent.core.policy import AdaptationPolicy, PolicyOptions, poisson_tail
from agent.core.reasons import EASING
from models.export import write_model
from tests.agent.model.test_runtime import logistic, meta
from tests.agent.model.vectors import REST, STRESS, vector

TICK = 0.25
NO_EEG = {name: value for name, value in REST.items() if not name.startswith("eeg")}  # a strap and a GSR band
NOTHING_TRUSTWORTHY = {"cardiac": 0.3, "eda": 0.2, "eeg": 0.1}  # every group under its quality gate: a hold


@pytest.fixture
def model(tmp_path: Path) -> DistressModel:
    """Distress = sigmoid of the mean of heart-rate and skin-conductance z (every other feature weighs 0)."""
    coef = np.array([0.5 if f.name in ("hr_bpm", "scl_us") else 0.0 for f in FEATURES])
    write_model(tmp_path / "distress.onnx", logistic(coef), meta())
    return DistressModel.load(tmp_path)


def policy(model: DistressModel, **options: float) -> AdaptationPolicy:
    baseline = PatientBaseline(BaselineOptions(calibration_s=20, min_samples=5), store=None)
    return AdaptationPolicy(model, baseline, PolicyOptions(**options))


def run(p: AdaptationPolicy, start: float, seconds: float, values: dict, **kw: object) -> list:
    n = round(seconds / TICK)
    return [p.update(vector(start + i * TICK, values, **kw)) for i in range(n)]  # type: ignore[arg-type]


def calibrate(p: AdaptationPolicy) -> float:
    out = run(p, 0.0, 21.0, REST)
    assert out[0].level is Level.HOLD and out[0].reasons == ("calibrating baseline (0%)",)
    assert out[-1].level is not Level.HOLD
    return 21.0


def test_holds_until_calibrated_then_calm_at_rest(model):
    p = policy(model)
    t = calibrate(p)
    rest = run(p, t, 30, REST)
    assert {a.level for a in rest} == {Level.CALM}
    assert rest[-1].suggestions.intensity == 1.0 and rest[-1].confidence == pytest.approx(1.0)


def test_holds_when_no_modality_is_trustworthy(model):
    p = policy(model)
    t = calibrate(p)
    out = run(p, t, 5, STRESS, quality=NOTHING_TRUSTWORTHY)
    assert {a.level for a in out} == {Level.HOLD}
    assert out[-1].reasons == ("no trustworthy sensor",) and out[-1].distress == 0.0


def test_a_poor_modality_does_not_vote(model):
    p = policy(model)
    t = calibrate(p)
    # skin conductance "says" stress, but its quality is poor: heart rate at rest decides
    out = run(p, t, 60, {**REST, "scl_us": 9.0}, quality={"eda": 0.2})
    assert {a.level for a in out} == {Level.CALM}


def test_sustained_stress_reaches_distressed_only_after_rise_after_s(model):
    p = policy(model, rise_after_s=10, slow_tau_s=0)
    t = calibrate(p)
    out = run(p, t, 30, STRESS)
    levels = [a.level for a in out]
    first_distressed = levels.index(Level.DISTRESSED) * TICK
    assert levels[0] is Level.ELEVATED  # caution at once
    assert first_distressed == pytest.approx(10.0, abs=TICK)
    last = out[-1]
    assert last.suggestions.breathing_guide and any("heart beating faster (heart rate +46 % over resting)" == r for r in last.reasons)
    assert any(r.startswith("sweating more (skin conductance +") for r in last.reasons)


def test_fast_path_raises_caution_within_a_tick_but_never_distressed(model):
    p = policy(model)
    t = calibrate(p)
    out = run(p, t, 5, {**REST, "scr_recent": 2.0})
    assert out[0].level is Level.ELEVATED and "skin conductance response just now" in out[0].reasons
    assert Level.DISTRESSED not in {a.level for a in out}


@pytest.mark.parametrize(("resting", "burst", "cue"), [
    (0.0, 2.0, True),  # a quiet skin: two onsets in 10 s are news
    (1.0, 2.0, False),  # a labile skin that responds about once per 10 s at rest: two are not (P = 0.26)
    (1.0, 5.0, True),  # ...but five are (P = 0.0037)
])
def test_a_burst_of_skin_responses_is_judged_against_the_patient_s_resting_rate(model, resting, burst, cue):
    p = policy(model)
    t = 0.0
    for i in range(round(21.0 / TICK)):  # calibration sees `resting` onsets per 10 s on average (0, 1, 2, 1, 0, ...)
        p.update(vector(t + i * TICK, {**REST, "scr_recent": [0.0, 1.0, 2.0, 1.0][i % 4] * resting}))
    out = run(p, 21.0, 2, {**REST, "scr_recent": burst})
    assert ("skin conductance response just now" in out[0].reasons) is cue
    assert (out[0].level is Level.ELEVATED) is cue  # heart rate and conductance at rest: only the cue can raise it


def test_the_poisson_tail_matches_its_closed_forms():
    assert poisson_tail(0, 3.0) == 1.0 and poisson_tail(1, 0.0) == 0.0
    assert poisson_tail(1, 0.5) == pytest.approx(1 - math.exp(-0.5))
    assert poisson_tail(2, 0.15) == pytest.approx(1 - math.exp(-0.15) * 1.15)  # 0.0102: just over 1 %
    assert poisson_tail(5, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24))
    tails = [poisson_tail(k, 2.0) for k in range(12)]
    assert tails == sorted(tails, reverse=True) and tails[-1] > 0  # rarer as k grows, never exactly impossible


def test_no_flicker_when_distress_hovers_around_a_threshold(model):
    p = policy(model, slow_tau_s=0, min_dwell_s=15)
    t = calibrate(p)
    rng = np.random.default_rng(3)
    levels, intensities = [], []
    for i in range(round(120 / TICK)):  # heart rate wobbling around the elevated threshold
        hr = 65.0 + 6.5 * (1 + 0.6 * np.sin(i / 3.0)) + rng.normal(0, 0.5)
        a = p.update(vector(t + i * TICK, {**REST, "hr_bpm": hr, "scl_us": 2.0}))
        levels.append(a.level)
        intensities.append(a.suggestions.intensity)
    changes = sum(1 for a, b in zip(levels, levels[1:], strict=False) if a is not b)
    assert changes <= 2, levels
    steps = np.abs(np.diff(intensities))
    assert steps.max() <= 0.05 * TICK + 0.001  # never jumps (the emitted intensity is rounded to 3 decimals)


def test_level_falls_only_after_dwell_and_below_the_release(model):
    p = policy(model, slow_tau_s=0, min_dwell_s=15, rise_after_s=0)
    t = calibrate(p)
    run(p, t, 5, STRESS)
    after = run(p, t + 5, 30, REST)
    levels = [a.level for a in after]
    assert levels[0] is Level.DISTRESSED
    assert levels.index(Level.CALM) * TICK >= 15 - 5  # dwell counted from entering distressed


def test_a_hold_pauses_the_level_and_does_not_cut_its_dwell_short(model):
    """A strap that slips for 2 s while the patient is distressed: after it the level goes on from
    distressed, with the dwell counted from when it began, rather than being decided afresh from calm."""
    p = policy(model, slow_tau_s=0, min_dwell_s=15, rise_after_s=0)
    t = calibrate(p)
    assert run(p, t, 5, STRESS)[-1].level is Level.DISTRESSED  # distressed from t
    held = run(p, t + 5, 2, STRESS, quality=NOTHING_TRUSTWORTHY)
    assert {a.level for a in held} == {Level.HOLD}
    after = [a.level for a in run(p, t + 7, 20, REST)]
    assert after[0] is Level.DISTRESSED
    assert after.index(Level.CALM) * TICK == pytest.approx(15 - 7)  # 15 s after entering distressed, not after the hold


def test_a_hold_is_no_evidence_for_distressed(model):
    """Evidence must hold rise_after_s to reach distressed, and a strap that falls off gives none: 1 s above
    the threshold, a 9-s hold and the strap back still above is 1 s of evidence, not 10 s, so the level
    stays elevated until 10 s have been seen."""
    p = policy(model, slow_tau_s=0, rise_after_s=10)
    t = calibrate(p)
    before = run(p, t, 1, STRESS)
    assert {a.level for a in before} == {Level.ELEVATED}
    held = run(p, t + 1, 9, STRESS, quality=NOTHING_TRUSTWORTHY)
    assert {a.level for a in held} == {Level.HOLD}
    after = [a.level for a in run(p, t + 10, 12, STRESS)]
    assert after.index(Level.DISTRESSED) * TICK == pytest.approx(10 - 1)  # 1 s was seen before the hold


@pytest.fixture
def eeg_model(tmp_path: Path) -> DistressModel:
    """The fixture ``model`` plus a weight on the temporal alpha share, so that EEG alone can vote."""
    coef = np.array([{"hr_bpm": 0.5, "scl_us": 0.5, "eeg_alpha_rear_rel": -0.5}.get(f.name, 0.0) for f in FEATURES])
    write_model(tmp_path / "distress.onnx", logistic(coef), meta())
    return DistressModel.load(tmp_path)


def _covered(out: list, start: float, goal: float) -> list[float]:
    """The share of the way from ``start`` to ``goal`` each decision's smoothed logit has come."""
    return [float((np.log(a.distress / (1 - a.distress)) - start) / (goal - start)) for a in out]


def test_the_slow_state_smooths_skin_conductance_longer_than_windowed_features(eeg_model):
    """The slow state is an exponential average of the model's logit: over slow_tau_s while an EDA
    feature votes (it moves tick by tick), over windowed_tau_s while only windowed features do, and over
    eeg_alone_tau_s while EEG votes alone (4-s band powers, with no heart to steady them). Without skin
    conductance a rise is smoothed over windowed_rise_share of the constant (the window has already
    waited), and the fall that follows over all of it; with skin conductance both alike."""
    for quality, tau, rise_tau in (({"eda": 0.2}, 5.0, 2.5), ({}, 20.0, 20.0), ({"eda": 0.2, "cardiac": 0.2}, 10.0, 5.0)):
        p = policy(eeg_model, slow_tau_s=20, windowed_tau_s=5, eeg_alone_tau_s=10, windowed_rise_share=0.5,
                   rise_after_s=0)
        t = calibrate(p)
        rest_logit = p._logit
        assert rest_logit is not None
        up = run(p, t, 10, STRESS, quality=quality)
        assert p.latest is not None and p._logit is not None
        goal = float(np.log(p.latest.distress / (1 - p.latest.distress)))  # the model's own, unsmoothed
        for n, covered in zip((2, 8, 16), _covered([up[1], up[7], up[15]], rest_logit, goal), strict=True):
            assert covered == pytest.approx(1 - np.exp(-n * TICK / rise_tau), abs=0.01)
        top = p._logit
        down = run(p, t + 10, 10, REST, quality=quality)
        for n, fallen in zip((4, 20, 40), _covered([down[3], down[19], down[39]], top, rest_logit), strict=True):
            assert fallen == pytest.approx(1 - np.exp(-n * TICK / tau), abs=0.01)


@pytest.mark.parametrize("hold_s", [5.0, 600.0])
def test_a_hold_keeps_the_slow_state_and_the_next_answer_moves_it_by_the_seconds_missed(model, hold_s):
    """A wrist gated by movement for a few seconds must not restart the estimate from one unsmoothed answer:
    the slow state waits through the hold, and the next answer moves it as the smoothing would have over the
    seconds it did not see (5.25 s of a 20-s constant: 23 % of the way). After ten minutes that is a reset."""
    p = policy(model, slow_tau_s=20)
    t = calibrate(p)
    run(p, t, 60, STRESS)
    before = p._logit
    assert before is not None and before > 1.0
    held = run(p, t + 60, hold_s, STRESS, quality=NOTHING_TRUSTWORTHY)
    assert {a.level for a in held} == {Level.HOLD}
    p.update(vector(t + 60 + hold_s, REST))
    assert p.latest is not None
    answer = math.log(p.latest.distress / (1 - p.latest.distress))  # the model's own, at rest
    share = 1 - math.exp(-(hold_s + TICK) / 20)
    assert p._logit == pytest.approx(before + share * (answer - before), rel=1e-9)
    assert (abs(p._logit - answer) > 1.0) is (hold_s < 60)  # a short hold: the stress is not forgotten at once


def test_through_a_hold_the_suggested_intensity_stays_with_the_scene(model):
    """The app keeps its scene through a hold (docs/vr-protocol.md), so the intensity waits with it: the
    first frame after a strap slips and comes back does not ask for the scene as authored."""
    p = policy(model, slow_tau_s=0)
    t = calibrate(p)
    lowered = run(p, t, 20, STRESS)[-1]
    assert lowered.level is Level.DISTRESSED and lowered.suggestions.intensity == 0.5
    held = run(p, t + 20, 20, STRESS, quality=NOTHING_TRUSTWORTHY)
    assert {a.level for a in held} == {Level.HOLD} and {a.suggestions.intensity for a in held} == {0.5}
    after = p.update(vector(t + 40, STRESS))
    assert after.level is Level.DISTRESSED and after.suggestions.intensity == 0.5


def test_a_model_that_answers_nan_drops_the_slow_state(model, tmp_path):
    """A broken model's answer is no evidence (a model update on probation, say): the slow state it would
    have carried is dropped, and the next good answer starts it afresh."""
    write_model(tmp_path / "nan" / "distress.onnx", logistic(np.full(len(FEATURES), np.nan)), meta())
    broken = DistressModel.load(tmp_path / "nan")
    p = policy(model, slow_tau_s=20)
    t = calibrate(p)
    run(p, t, 30, STRESS)
    assert p._logit is not None and p._logit > 1.0
    p.model = broken
    out = p.update(vector(t + 30, STRESS))
    assert out.level is Level.HOLD and out.reasons == ("the model gave no finite answer",) and p._logit is None
    p.model = model
    p.update(vector(t + 30.25, REST))
    assert p.latest is not None
    assert p._logit == pytest.approx(math.log(p.latest.distress / (1 - p.latest.distress)), rel=1e-9)


def test_while_deciding_the_reasons_name_the_sensor_whose_baseline_is_still_calibrating(model):
    """The skin calibrates on its 20 s while the pulse is trustworthy for only 5 of them: the decisions that
    follow say the heart's baseline is still being taken, and how far along it is."""
    p = policy(model)
    out = run(p, 0.0, 5.25, REST) + run(p, 5.25, 16, REST, quality={"cardiac": 0.2})  # ticks 0-5 s: 5 s
    assert out[-1].level is not Level.HOLD  # the skin's baseline is in: deciding
    assert out[-1].reasons[-1] == "refreshing heart baseline (25%)"
    out = run(p, 21.25, 15.25, REST)  # the heart's remaining 15 s
    assert out[-1].reasons == ("within baseline",)


def test_a_sensor_that_joins_late_calibrates_on_its_own_seconds_and_votes_only_then(model):
    """The skin calibrates while the pulse is untrustworthy; a minute later the pulse comes in. Until it has
    had its own 20 s it has no resting level, and a z of 0 would claim the heart is at rest and dilute the
    skin's evidence: it does not vote, and the reasons say its baseline is being taken."""
    p = policy(model, slow_tau_s=0)
    run(p, 0.0, 21.0, NO_EEG, quality={"cardiac": 0.2})  # the skin's 20 s; the heart is not trustworthy
    assert not p.baseline.calibrating
    run(p, 21.0, 60.0, NO_EEG, quality={"cardiac": 0.2})  # a minute on: the calibration's clock runs on
    out = run(p, 81.0, 5, {**NO_EEG, "hr_bpm": 70.0})  # the heart trustworthy now (at rest: see the next test)
    assert p.latest is not None and p.latest.groups == ("eda",)
    assert {name for name, _ in p.latest.terms} <= {f.name for f in FEATURES if f.group == "eda"}
    assert out[-1].level is Level.CALM and out[-1].reasons[-1] == "refreshing heart baseline (25%)"
    out = run(p, 86.0, 15.25, {**NO_EEG, "hr_bpm": 70.0})  # the heart's other 15 s
    assert p.latest.groups == ("cardiac", "eda") and not p.baseline.calibrating
    assert "refreshing" not in out[-1].reasons[-1]


def test_with_only_a_sensor_still_calibrating_trustworthy_the_policy_holds_and_says_why(model):
    p = policy(model)
    run(p, 0.0, 21.0, NO_EEG, quality={"cardiac": 0.2})
    out = run(p, 21.0, 2, NO_EEG, quality={"eda": 0.2})  # the skin falls off; the heart comes in
    assert {a.level for a in out} == {Level.HOLD}
    assert out[-1].reasons == ("waiting for the heart baseline (calibrating)",)
    out = run(p, 23.0, 18.25, NO_EEG, quality={"eda": 0.2})  # the heart's 20 s are up: it decides alone
    assert out[-1].level is Level.CALM and p.latest is not None and p.latest.groups == ("cardiac",)


def test_above_calm_the_reasons_never_say_within_baseline(model):
    """A level the dwell still holds once the readings are back at rest says it is easing; one reached by
    changes that each stay under a resting spread names them, however small."""
    p = policy(model, slow_tau_s=0, min_dwell_s=15, rise_after_s=0)
    t = calibrate(p)
    run(p, t, 5, STRESS)
    after = run(p, t + 5, 30, REST)
    held = [a for a in after if a.level is not Level.CALM]
    assert held and all(a.reasons == (EASING,) for a in held)  # the readings are the resting ones
    assert after[-1].level is Level.CALM and after[-1].reasons == ("within baseline",)

    profile = p.baseline.profile
    assert profile is not None
    hr, scl = (FEATURE_NAMES.index(n) for n in ("hr_bpm", "scl_us"))
    small = {**REST, "hr_bpm": float(profile.mean[hr] + 0.7 * profile.scale()[hr]),
             "scl_us": float(profile.mean[scl] + 0.7 * profile.scale()[scl])}
    out = run(p, t + 35, 5, small)
    assert {a.level for a in out} == {Level.ELEVATED}  # 0.7 spreads each: together past elevated_at
    assert set(out[-1].reasons) == {"heart beating faster (heart rate +7 % over resting)",
                                    "sweating more (skin conductance +0.14 µS vs resting)"}


def test_a_sensor_that_joins_during_distress_takes_its_resting_level_only_once_calm(model):
    """A chest strap put on while the skin reads distress: its seconds count only once the decisions read
    calm again, so its resting level is the patient's rest, not the stressor's."""
    stress = {name: value for name, value in STRESS.items() if not name.startswith("eeg")}
    p = policy(model, slow_tau_s=0, min_dwell_s=5, rise_after_s=0)
    run(p, 0.0, 21.0, NO_EEG, quality={"cardiac": 0.2})  # the skin calibrates; no strap yet
    run(p, 21.0, 5, stress, quality={"cardiac": 0.2})  # a stressor
    out = run(p, 26.0, 30, stress)  # the strap comes in during it, for longer than its 20 s
    assert {a.level for a in out} == {Level.DISTRESSED}
    assert out[-1].reasons[-1] == "refreshing heart baseline (0%)"
    assert p.latest is not None and p.latest.groups == ("eda",)  # the heart has no resting level: no vote
    out = run(p, 56.0, 40, NO_EEG)  # calm again: the dwell, then the heart's 20 s
    assert out[-1].level is Level.CALM and p.latest is not None and p.latest.groups == ("cardiac", "eda")
    profile = p.baseline.profile
    assert profile is not None and profile.mean[FEATURE_NAMES.index("hr_bpm")] == pytest.approx(REST["hr_bpm"])
