"""Calibration, the stored profile and normalisation (agent/core/baseline.py)."""

from __future__ import annotations

import json
import stat

import numpy as np
import pytest
import structlog

from agent.core.baseline import (
    FLOORS,
    NORMALISATION,
    Z_LIMIT,
    BaselineOptions,
    Calibration,
    PatientBaseline,
    Profile,
    ProfileStore,
)
from agent.core.features import FEATURE_NAMES
from agent.errors import ConfigError
from tests.agent.model.vectors import REST, STRESS, vector

HR = FEATURE_NAMES.index("hr_bpm")


def calibrated(seconds: float = 30.0, **kw: float) -> tuple[Calibration, list[float]]:
    rng = np.random.default_rng(1)
    cal = Calibration(BaselineOptions(calibration_s=seconds, min_samples=5, **kw))
    hrs = []
    t = 0.0
    while not cal.done:
        fv = vector(t, REST, jitter=0.05, rng=rng)
        hrs.append(float(fv.values[HR]))
        cal.add(fv)
        t += 0.25
    return cal, hrs


def test_calibration_measures_mean_and_spread_of_the_resting_ticks():
    cal, hrs = calibrated()
    p = cal.profile()
    assert p.mean[HR] == pytest.approx(np.mean(hrs), rel=1e-9)
    assert p.sd[HR] == pytest.approx(np.std(hrs, ddof=1), rel=1e-6)
    assert (cal.seconds >= 30.0).all()  # every group was trustworthy throughout


def test_calibration_clock_stops_while_no_modality_is_trustworthy():
    cal = Calibration(BaselineOptions(calibration_s=10, min_samples=2))
    for i in range(200):  # 50 s of ticks, all sensors poor
        cal.add(vector(i * 0.25, REST, quality={"cardiac": 0.1, "eda": 0.1, "eeg": 0.1}))
    assert cal.progress == 0.0 and not cal.done


def test_a_feature_seen_too_rarely_gets_no_baseline_and_never_votes():
    cal = Calibration(BaselineOptions(calibration_s=10, min_samples=20))
    for i in range(60):
        cal.add(vector(i * 0.25, {**REST, "lf_ms2": 900.0 if i < 5 else None}))
    p = cal.profile()
    lf = FEATURE_NAMES.index("lf_ms2")
    assert not p.known[lf] and p.known[HR]
    z, mask = p.normalise(vector(20.0, STRESS).values, np.ones(len(FEATURE_NAMES), bool))
    assert not mask[lf] and z[lf] == 0.0


def test_normalise_floors_the_spread_and_clips():
    p = Profile(np.array(list(REST.values()), float), np.zeros(len(FEATURE_NAMES)))  # a perfectly steady rest
    fv = vector(0.0, {**REST, "hr_bpm": 67.0})
    z, _ = p.normalise(fv.values, fv.usable)
    scale = max(FLOORS[HR], 0.1 * 65.0)
    assert z[HR] == pytest.approx(2.0 / scale, rel=1e-6)  # 2 bpm is not ten standard deviations
    z, _ = p.normalise(vector(0.0, {**REST, "hr_bpm": 500.0}).values, fv.usable)
    assert z[HR] == Z_LIMIT
    z, mask = p.normalise(fv.values, np.zeros(len(FEATURE_NAMES), bool))
    assert not mask.any() and not z.any()


def test_profile_store_round_trip_is_private_and_atomic(tmp_path):
    cal, _ = calibrated()
    store = ProfileStore(tmp_path / "state" / "baseline.json")
    store.save(cal.profile())
    assert stat.S_IMODE((tmp_path / "state" / "baseline.json").stat().st_mode) == 0o600
    again = store.load()
    assert again is not None
    np.testing.assert_allclose(again.mean, cal.profile().mean, equal_nan=True)
    assert list((tmp_path / "state").iterdir()) == [tmp_path / "state" / "baseline.json"]


def test_a_profile_of_another_normalisation_is_a_config_error_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"normalisation": "other/9", "features": {}}))
    with pytest.raises(ConfigError, match=r"baseline\.json.*delete it to calibrate afresh"):
        ProfileStore(path).load()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"normalisation": "baseline-z/1", "feat',  # a torn write
        b"\xff\xfe\x00garbage",
        "[1, 2]",
        json.dumps({"normalisation": NORMALISATION, "features": {FEATURE_NAMES[0]: {"mean": 1.0}}}),  # no sd
        json.dumps({"normalisation": NORMALISATION, "features": {FEATURE_NAMES[0]: {"mean": "x", "sd": 1}}}),
    ],
)
def test_a_corrupt_stored_profile_is_set_aside_and_calibration_starts_afresh(tmp_path, content):
    path = tmp_path / "baseline.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with structlog.testing.capture_logs() as logs:
        assert ProfileStore(path).load() is None
        baseline = PatientBaseline(BaselineOptions(), ProfileStore(path))  # the agent starts: no crash, no loop
    assert baseline.profile is None and not path.exists()
    (aside,) = tmp_path.glob("baseline.json.corrupt-*")
    assert aside.read_bytes() == (content if isinstance(content, bytes) else content.encode())  # evidence kept
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["profile_set_aside"]


def test_stored_profile_is_used_at_once_and_a_new_calibration_is_blended_in(tmp_path):
    store = ProfileStore(tmp_path / "baseline.json")
    old = Profile(np.array(list(REST.values()), float), np.ones(len(FEATURE_NAMES)))
    store.save(old)
    options = BaselineOptions(calibration_s=10, min_samples=5, blend=0.25)
    pb = PatientBaseline(options, store)
    assert pb.profile is not None and pb.calibrating  # adapt from the first tick, calibrate meanwhile
    t = 0.0
    while pb.calibrating:
        pb.observe(vector(t, {**REST, "hr_bpm": 73.0}))
        t += 0.25
    assert pb.profile.mean[HR] == pytest.approx(0.75 * 65.0 + 0.25 * 73.0)
    assert store.load().sessions == 1  # nothing is written inside a tick ...
    assert pb.save_pending() and not pb.save_pending()  # ... but once, off the tick path
    saved = store.load()
    assert saved is not None and saved.mean[HR] == pytest.approx(pb.profile.mean[HR]) and saved.sessions == 2
    assert json.loads((tmp_path / "baseline.json").read_text())["normalisation"] == NORMALISATION
    pb.begin_session()
    assert pb.calibrating and pb.progress == 0.0


def test_the_news_says_what_each_session_s_resting_level_rests_on(tmp_path):
    """Nothing stored: no news until the first calibration finishes. Then each session starts on the profile
    from before it ("stored") until its own calibration finishes ("fresh", and how long it took)."""
    pb = PatientBaseline(BaselineOptions(calibration_s=10, min_samples=5), ProfileStore(tmp_path / "b.json"))
    pb.observe(vector(100.0, REST))
    assert pb.news is None
    t = 100.25
    while pb.calibrating:
        pb.observe(vector(t, REST))
        t += 0.25
    assert (pb.news.source, pb.news.t, pb.news.duration_s) == ("fresh", t - 0.25, 10.0)
    pb.begin_session()
    pb.observe(vector(200.0, REST))
    assert (pb.news.source, pb.news.t) == ("stored", 200.0)
    stored = pb.news
    pb.observe(vector(200.25, REST))
    assert pb.news is stored  # once per session: the summaries take each new object as news
    t = 200.5
    while pb.calibrating:
        pb.observe(vector(t, REST))
        t += 0.25
    assert (pb.news.source, pb.news.duration_s) == ("fresh", 10.0)


def test_without_a_stored_profile_the_first_calibration_is_the_profile(tmp_path):
    pb = PatientBaseline(BaselineOptions(calibration_s=10, min_samples=5), ProfileStore(tmp_path / "b.json"))
    assert pb.profile is None
    t = 0.0
    while pb.calibrating:
        pb.observe(vector(t, REST))
        t += 0.25
    assert pb.profile is not None and pb.profile.mean[HR] == pytest.approx(65.0)
    assert not (tmp_path / "b.json").exists() and pb.save_pending()
    assert (tmp_path / "b.json").exists()


def test_a_calibration_taken_while_unsettled_is_re_anchored_to_a_calmer_stretch_never_to_arousal():
    """Calibrated on a nervous start (SCL 5, HR 90): rest (SCL 2, HR 65) pulls the level down within minutes;
    stress afterwards (SCL 6, HR 100) leaves it there, but for the seconds the heart is within its margin."""
    options = BaselineOptions(calibration_s=10, min_samples=5)
    pb = PatientBaseline(options, store=None)
    nervous = {**REST, "scl_us": 5.0, "hr_bpm": 90.0}
    t = 0.0
    while pb.calibrating:
        pb.observe(vector(t, nervous))
        t += 0.25
    scl, hr = FEATURE_NAMES.index("scl_us"), FEATURE_NAMES.index("hr_bpm")
    assert pb.profile.mean[scl] == pytest.approx(5.0)
    rest_s = 4 * options.anchor_tau_s + 2 * options.anchor_smooth_s  # long enough to settle at the defaults
    for _ in range(int(4 * rest_s)):
        pb.observe(vector(t, REST))
        t += 0.25
    assert pb.profile.mean[scl] == pytest.approx(2.0, abs=0.1) and pb.profile.mean[hr] == pytest.approx(65.0, abs=2.0)
    assert pb.calibrated.mean[scl] == pytest.approx(5.0)  # what is stored is the calibration, not the anchor
    anchored = pb.profile.mean.copy()
    stress = {**REST, "scl_us": 6.0, "hr_bpm": 100.0}
    for _ in range(4 * 20):  # a stressor's first seconds: the heart's smoothed rate climbs through its margin
        pb.observe(vector(t, stress))
        t += 0.25
    onset = pb.profile.mean.copy()
    for _ in range(4 * 600):  # ten minutes of stress
        pb.observe(vector(t, stress))
        t += 0.25
    assert pb.profile.mean[hr] == anchored[hr]
    assert pb.profile.mean[scl] == onset[scl]  # once the heart is past its margin the skin's level stays
    assert onset[scl] - anchored[scl] < 0.01 * (stress["scl_us"] - anchored[scl])  # and had barely moved
    eeg = FEATURE_NAMES.index("eeg_alpha_rel")
    assert pb.profile.mean[eeg] == pytest.approx(REST["eeg_alpha_rel"])  # features with no calm direction keep theirs


def _observed(pb: PatientBaseline, t: float, values: dict[str, float | None], seconds: float) -> float:
    """``seconds`` of 4-Hz ticks of ``values`` from ``t`` into ``pb``; the time after them."""
    for _ in range(int(4 * seconds)):
        pb.observe(vector(t, values))
        t += 0.25
    return t


@pytest.mark.parametrize("follows", [True, False])
def test_skin_that_stays_up_after_a_stressor_is_re_anchored_only_while_the_heart_is_calm(follows: bool):
    """Calibrated at rest (SCL 2, HR 65). After a stressor the skin stays up (SCL 5) while the heart settles (63):
    the skin's level follows it up; with the heart up (HR 100), or no heart sensor at all, it does not move;
    and with ``skin_anchor_tau_s = 0`` it never does."""
    options = BaselineOptions(calibration_s=10, min_samples=5, skin_anchor_tau_s=300.0 if follows else 0.0)
    pb = PatientBaseline(options, store=None)
    scl, scr = FEATURE_NAMES.index("scl_us"), FEATURE_NAMES.index("scr_rate_per_min")
    slope = FEATURE_NAMES.index("scl_slope_us_per_min")
    t = 0.0

    def hold(values: dict[str, float | None], seconds: float) -> None:
        nonlocal t
        t = _observed(pb, t, values, seconds)

    while pb.calibrating:
        hold(REST, 0.25)
    hold({**REST, "scl_us": 5.0, "hr_bpm": 100.0}, 1800)  # half an hour of skin and heart up: nothing learnt
    assert pb.profile.mean[scl] == pytest.approx(2.0) and pb.profile.mean[HR] == pytest.approx(65.0)
    hold({**REST, "scl_us": 5.0, "hr_bpm": None}, 1800)  # the skin alone cannot say it is calm
    assert pb.profile.mean[scl] == pytest.approx(2.0)

    sweaty_rest = {**REST, "scl_us": 5.0, "scr_rate_per_min": 4.0, "scl_slope_us_per_min": 0.3, "hr_bpm": 63.0}
    hold(sweaty_rest, 4 * max(options.anchor_tau_s, 300.0) + 2 * options.anchor_smooth_s)
    if follows:
        assert pb.profile.mean[scl] == pytest.approx(5.0, abs=0.1)
        assert pb.profile.mean[scr] == pytest.approx(4.0, abs=0.1)
    else:
        assert pb.profile.mean[scl] == pytest.approx(2.0) and pb.profile.mean[scr] == pytest.approx(2.0)
    assert pb.profile.mean[slope] == pytest.approx(0.0)  # no calm direction: never re-anchored
    assert pb.profile.mean[HR] == pytest.approx(63.0, abs=0.1)  # the heart's own level follows it down, as before
    assert pb.calibrated.mean[scl] == pytest.approx(2.0)  # what is stored is the calibration


def test_each_sensor_group_calibrates_on_its_own_trustworthy_seconds():
    """The skin is trustworthy throughout and the wrist pulse a fifth of the time: decisions start on the skin's
    10 s, the heart's features join once it has had its own 10 s, and the skin's level is not taken again."""
    pb = PatientBaseline(BaselineOptions(calibration_s=10, min_samples=5), store=None)
    scl = FEATURE_NAMES.index("scl_us")
    no_eeg = {n: None for n in FEATURE_NAMES if n.startswith("eeg_")}
    t, heart_trusted = 0.0, []

    def tick(scl_us: float) -> None:
        nonlocal t
        trusted = t % 5 < 1  # a second in five
        hr = 60.0 + t  # rises through the calibration: its baseline must be its own ticks' mean
        pb.observe(vector(t, {**REST, **no_eeg, "hr_bpm": hr, "scl_us": scl_us}, {"cardiac": 1.0 if trusted else 0.1}))
        if trusted:
            heart_trusted.append(hr)
        t += 0.25

    while pb.profile is None:
        tick(2.0)
    assert t == pytest.approx(10.25)  # the skin's 10 s: deciding starts, on the skin alone
    assert pb.profile.known[scl] and not pb.profile.known[HR]
    assert pb.calibrating and pb.progress == pytest.approx(2 / 10)  # the heart has had 2 of its 10 s (0-1, 5-6, 10)
    assert pb.waiting == ("cardiac",)  # what the reason names: the group still calibrating, not the skin
    while pb.calibrating:
        tick(4.0)  # the skin moves on, but its baseline was taken
    assert pb.profile.known[HR] and pb.profile.mean[HR] == pytest.approx(np.mean(heart_trusted))
    assert pb.profile.mean[scl] == pytest.approx(2.0) and pb.progress == 1.0 and pb.waiting == ()
    assert t == pytest.approx(50.25)  # ten trusted seconds of the heart


@pytest.mark.parametrize("hold_s", [0.0, 30.0])
def test_a_heart_that_was_calm_lets_the_skin_follow_for_skin_anchor_heart_s_after_it_went_untrustworthy(hold_s):
    """A wrist pulse's quality gate holds about half the time: with ``skin_anchor_heart_s`` the heart's last
    calm still lets the skin's level follow for that long, and not a second more; with 0, only while it is."""
    options = BaselineOptions(calibration_s=10, min_samples=5, skin_anchor_heart_s=hold_s)
    pb = PatientBaseline(options, store=None)
    scl = FEATURE_NAMES.index("scl_us")
    t = 0.0

    def hold(values: dict[str, float | None], seconds: float) -> None:
        nonlocal t
        t = _observed(pb, t, values, seconds)

    def level() -> float:
        assert pb.profile is not None
        return float(pb.profile.mean[scl])

    while pb.calibrating:
        hold(REST, 0.25)
    sweaty = {**REST, "scl_us": 5.0}
    hold({**sweaty, "hr_bpm": 63.0}, 60)  # a calm heart: the skin's level starts to follow
    before = level()
    assert before > 2.0
    hold({**sweaty, "hr_bpm": None}, hold_s + 2)  # the pulse gated from here on
    gated = level()
    hold({**sweaty, "hr_bpm": None}, 600)
    assert level() == gated  # past the hold the level stays, however long the gate holds
    if hold_s:
        assert gated > before + 0.05  # it went on following through the hold
    else:
        assert gated == before  # it stopped with the heart


@pytest.mark.parametrize(("margin", "heart_over", "follows"), [
    (0.0, 0.02, False),  # as before: a heart 2 % over its resting rate is not calm
    (0.03, 0.02, True),  # within the margin: the skin's level follows
    (0.03, 0.05, False),  # past it: the skin keeps its level, however long
])
def test_a_heart_within_skin_anchor_heart_margin_of_its_resting_rate_counts_as_calm_for_the_skin(
        margin, heart_over, follows):
    """A resting heart's smoothed rate sits above its own mean about half the time: with
    ``skin_anchor_heart_margin`` the skin's level follows while the heart is within that fraction over it."""
    options = BaselineOptions(calibration_s=10, min_samples=5, skin_anchor_heart_margin=margin)
    pb = PatientBaseline(options, store=None)
    scl = FEATURE_NAMES.index("scl_us")
    t = 0.0
    while pb.calibrating:
        t = _observed(pb, t, REST, 0.25)
    t = _observed(pb, t, {**REST, "scl_us": 5.0, "hr_bpm": REST["hr_bpm"] * (1 + heart_over)}, 1200)
    assert pb.profile is not None
    if follows:
        assert pb.profile.mean[scl] == pytest.approx(5.0, abs=0.1)
    else:
        assert pb.profile.mean[scl] == pytest.approx(2.0)
    assert pb.profile.mean[HR] == pytest.approx(REST["hr_bpm"])  # a faster heart never moves its own level
