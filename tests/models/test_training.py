"""Training sees what the agent computes: features through the core, the deployed calibration,
a model the runtime accepts, and LOSO decisions equal to ``edge-agent replay`` byte for byte."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from agent.core.feature_specs import FEATURES
from agent.core.features import FEATURE_NAMES, GROUPS
from agent.core.model import onnx_file
from agent.replay import build_core, open_recorded, replay
from models import subjects, train
from models.datasets import DATASETS, EEGMAT, WESAD
from models.export import write_model
from models.extract import extract
from models.fit import (
    MEMBERSHIP,
    F,
    Heartless,
    Recipe,
    Rows,
    augmented,
    ensemble,
    fit_boosted,
    fit_gam,
    fit_logistic,
    subject_rows,
)
from models.loso import classify, config_for, decide, deployed, levels, table_ticks
from models.nested import anchor_settings
from models.subjects import prepare
from models.train import metadata


def test_tables_come_from_the_core_with_labels(eegmat):
    table = eegmat[0].table
    assert table.values.shape == (len(table.t), len(FEATURE_NAMES)) and np.allclose(np.diff(table.t), 0.25)
    assert set(np.unique(table.label)) == {0.0, 1.0} and table.quality.dtype == np.float64
    eeg = GROUPS.index("eeg")
    assert table.quality[:, eeg].mean() > 0.5 and table.available[:, FEATURE_NAMES.index("eeg_alpha_rel")].mean() > 0.9


def test_training_rows_calibrate_from_the_start_as_the_agent_does(eegmat):
    s = eegmat[0]
    first = float(s.table.t[np.argmax(s.train)])
    calibration_s = config_for().top.baseline.calibration_s
    assert calibration_s <= first < calibration_s + 30  # calibrated from the recording's start, not from a known rest
    rows = subject_rows(s.z, s.usable, s.y, s.train)
    for c in (0, 1):
        assert rows.w[rows.y == c].sum() == pytest.approx(1.0)  # each class of each subject weighs the same


def test_a_sensor_that_became_trustworthy_after_calibration_gives_training_no_rows(eegmat):
    """EEGMAT S02's ECG is noise through the rest and clean through the task, after the EEG's calibration
    ended: the agent has no resting heart rate for it, so neither its decisions nor training rows use it."""
    s = next(s for s in eegmat if s.name == "S02")
    cardiac = np.array([f.group == "cardiac" for f in FEATURES])
    trustworthy = s.table.available[:, cardiac].any(axis=1) & (s.table.quality[:, GROUPS.index("cardiac")] >= 0.5)
    assert trustworthy[s.table.label == 1].mean() > 0.5 and not trustworthy[s.table.label == 0][:480].any()
    assert not s.usable[:, cardiac].any()  # it never votes: a z of 0 would read as a heart at rest
    assert s.usable[s.train].any(axis=1).all()  # the EEG does


def test_a_candidates_anchoring_constant_reaches_the_training_z_scores(eegmat):
    """Training rows are normalised with the candidate's [baseline] anchor_tau_s, as its folds replay."""
    tables = [s.table for s in eegmat]
    slow, fast, never = (prepare(EEGMAT, tables, anchor_settings(a)) for a in (300.0, 60.0, 0.0))
    default = prepare(EEGMAT, tables)
    for s in range(len(tables)):
        calibrated = slow[s].train
        assert (calibrated == fast[s].train).all() and calibrated.any()  # the calibration itself is the same
        first = np.argmax(slow[s].usable.any(axis=1))
        assert np.array_equal(slow[s].z[first], fast[s].z[first])  # before any re-anchoring: equal
    moved = [np.abs(a.z - b.z).max() for a, b in zip(fast, never, strict=True)]
    assert max(moved) > 0.1  # 60 s follows a calmer stretch where 0 (never) does not
    assert all(np.array_equal(a.z, b.z) for a, b in zip(default, (prepare(EEGMAT, tables, anchor_settings(
        config_for().top.baseline.anchor_tau_s))), strict=True))  # no settings: the agent's default


def test_a_settling_time_of_zero_trains_on_the_ticks_right_after_a_label_change(eegmat):
    tables = [s.table for s in eegmat]
    default, at_once = prepare(EEGMAT, tables), prepare(EEGMAT, tables, settle_s=0.0)
    for d, z in zip(default, at_once, strict=True):
        assert (z.train >= d.train).all() and z.train.sum() > d.train.sum()
        onset = int(np.argmax(d.y == 1))
        assert z.train[onset] and not d.train[onset]  # the task's first tick: only without settling


def test_sensor_dropout_never_removes_every_group():
    rng = np.random.default_rng(3)
    n = 2000
    usable = rng.random((n, len(FEATURE_NAMES))) < 0.8
    rows = augmented(Rows(rng.normal(size=usable.shape), usable, rng.integers(0, 2, n), np.ones(n)), seed=1)
    copy = rows.usable[n:]
    present = copy.astype(float) @ MEMBERSHIP > 0
    assert present.any(axis=1).all()  # at least one group left in every copy
    assert (present.sum(axis=1) < (usable.astype(float) @ MEMBERSHIP > 0).sum(axis=1)).mean() > 0.3
    assert (rows.z[n:][~copy] == 0).all()


def test_a_copy_left_without_a_heart_takes_its_skin_as_a_session_without_a_heart_sensor():
    """The skin's resting level follows a calm heart, so a GSR band worn alone scales it otherwise: a copy with
    no heart (the draw removed it, or it was not trustworthy at that tick) takes its skin features from
    ``heartless``; every other copy and every original row keeps its own."""
    rng = np.random.default_rng(5)
    n = 4000
    usable = ((rng.random((n, MEMBERSHIP.shape[1])) < 0.7) @ MEMBERSHIP.T > 0) & (rng.random((n, F)) < 0.9)
    z = rng.normal(size=(n, F))
    skin, heart = (np.array([f.group == g for f in FEATURES]) for g in ("eda", "cardiac"))
    other = rng.normal(size=(n, F)) + 100.0  # told apart from z at a glance
    other_usable = usable.copy()
    other_usable[: n // 10, skin] = False  # skin not yet calibrated without a heart here
    rows = augmented(Rows(z, usable, np.zeros(n), np.ones(n), Heartless(other, other_usable)), seed=2)
    assert rows.heartless is None
    np.testing.assert_array_equal(rows.z[:n], z)
    np.testing.assert_array_equal(rows.usable[:n], usable)
    copy_z, copy_usable = rows.z[n:], rows.usable[n:]
    no_heart = ~copy_usable[:, heart].any(axis=1)
    had_heart = usable[:, heart].any(axis=1)
    assert (no_heart & had_heart).sum() > 300 and (no_heart & ~had_heart).sum() > 300 and (~no_heart).sum() > 300
    kept_skin = copy_usable & skin[None, :]
    swapped = kept_skin & no_heart[:, None]
    np.testing.assert_array_equal(copy_z[swapped], other[swapped])
    np.testing.assert_array_equal(copy_z[kept_skin & ~no_heart[:, None]], z[kept_skin & ~no_heart[:, None]])
    assert not (copy_usable & ~other_usable & no_heart[:, None]).any()  # usable only as it is without a heart
    rest = copy_usable & ~skin[None, :]
    np.testing.assert_array_equal(copy_z[rest], z[rest])


def test_training_scales_the_skin_without_a_heart_as_the_agent_wearing_no_heart_sensor_does():
    subject, path = WESAD.recordings()[0]
    table = extract(path, subject, WESAD.streams)
    (s,) = prepare(WESAD, [table])
    assert s.heartless is not None
    config = config_for()
    heart = np.array([f.group == "cardiac" for f in FEATURES])
    alone = deployed(table_ticks(table, config.top.features.min_quality, keep=~heart), config)
    np.testing.assert_array_equal(s.heartless.z, alone.z)
    np.testing.assert_array_equal(s.heartless.usable, alone.usable)
    skin = np.array([f.group == "eda" for f in FEATURES])
    both = s.usable[:, skin] & s.heartless.usable[:, skin]
    assert both.any(axis=1)[s.train].mean() > 0.9
    assert (s.z[:, skin] != s.heartless.z[:, skin])[both].mean() > 0.1  # the heart's calm moved the skin's level
    assert not s.heartless.usable[:, heart].any()


def test_a_subject_without_skin_conductance_has_no_heartless_rows(eegmat):
    assert all(s.heartless is None for s in prepare(EEGMAT, [s.table for s in eegmat[:1]]))


@pytest.mark.parametrize("fit", [fit_logistic, fit_gam, fit_boosted])
def test_loso_through_the_core_is_edge_agent_replay(tmp_path: Path, eegmat, fit):
    """A fold's decisions over a cached table equal a real replay of the recording, byte for byte."""
    others, held = eegmat[1:], eegmat[0]
    m = fit(augmented(Rows.join([subject_rows(s.z, s.usable, s.y, s.train) for s in others]), 0))
    write_model(tmp_path / "distress.onnx", m, metadata(m, others, {"cardiac": 1.0, "eda": 1.0, "eeg": 1.0}))
    config = config_for(tmp_path)
    from_table = decide(table_ticks(held.table, config.top.features.min_quality), held.table, config)
    out = io.StringIO()
    path = dict(EEGMAT.recordings())[held.name]
    replay(config, open_recorded(path), out, core=build_core(config))  # opened as the CLI opens it: every stream
    assert [json.dumps(x, separators=(",", ":")) for x in from_table] == out.getvalue().splitlines()
    y, p, after = classify(from_table, EEGMAT)
    assert len(y) > 0.9 * after and set(np.unique(y)) == {0, 1}


@pytest.mark.parametrize("dataset", list(DATASETS.values()), ids=lambda d: d.name)
def test_training_tables_are_what_edge_agent_replay_gives_the_core_tick_for_tick(dataset):
    # edge-agent replay opens a recording with no stream selection (agent/commands/cli/replay.py), training
    # with its dataset's streams. Once, an E4 folder's vendor-derived beat intervals (which no training row
    # had) won the held-out subjects' cardiac group there, and its skin temperature, running on past the
    # rest, added ticks with nothing of ours in them
    subject, path = dataset.recordings()[0]
    trained, replayed = extract(path, subject, dataset.streams), extract(path, subject, None)
    assert len(trained.t) > 100
    for field in ("t", "values", "available", "quality", "label"):
        np.testing.assert_array_equal(getattr(replayed, field), getattr(trained, field), err_msg=field)


def test_one_sensor_group_alone_is_what_the_agent_decides_with_only_its_streams(tmp_path: Path, eegmat, monkeypatch):
    """A fold's model, kept, decides its subject again with each sensor group alone (the card's "one sensor
    alone"): exactly what ``edge-agent replay`` of that sensor's stream alone decides with the same model, and
    not what it decides with every sensor."""
    monkeypatch.setattr(train, "_SUBJECTS", eegmat)
    weights = json.dumps({"cardiac": 1.0, "eda": 1.0, "eeg": 1.0})
    # the second subject: the first's ECG never gives the 120 s of good beats that calibration needs
    held = eegmat[1]
    key, every = train.held_out(train.Fold(("logistic",), "all", 1, weights, keep=tmp_path))
    key_alone, alone = train.worn_alone((1, "logistic", tmp_path, None))
    assert key == key_alone == f"eegmat/{held.name}" and set(alone) == {"eeg", "cardiac"}
    config = config_for(train.fold_model_dir(tmp_path, "logistic", held))
    path = dict(EEGMAT.recordings())[held.name]
    (_, p_every, _, _), _ = every["logistic"]
    for group, stream in (("eeg", "eeg"), ("cardiac", "ecg")):
        text = io.StringIO()
        replay(config, open_recorded(path, streams=(stream,), device_id="x"), text, core=build_core(config))
        y, p, after = classify([json.loads(x) for x in text.getvalue().splitlines()], EEGMAT)
        y_alone, p_alone, after_alone, _ = alone[group]
        assert np.array_equal(y, y_alone) and np.array_equal(p, p_alone) and after == after_alone
        assert len(p) > 100 and not np.array_equal(p, p_every[: len(p)])


def test_boosted_stumps_become_an_exact_additive_model():
    """The tree candidate, rewritten as tables, gives the ensemble's own logit; an unusable feature adds 0."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(5)
    n = 6000
    z = rng.normal(size=(n, F))
    usable = rng.random((n, F)) < 0.7
    y = ((z[:, 0] * usable[:, 0] - np.abs(z[:, 9]) * usable[:, 9] + rng.normal(size=n)) > 0).astype(int)
    m = fit_boosted(Rows(z, usable, y, np.ones(n)))
    twin = HistGradientBoostingClassifier(
        max_depth=1, learning_rate=0.1, max_iter=300, max_bins=32, min_samples_leaf=200,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    ).fit(np.where(usable, z, np.nan), y)
    assert np.abs(twin.decision_function(np.where(usable, z, np.nan)) - m.logit(z, usable)).max() < 1e-9
    assert (m.terms(z, np.zeros_like(usable)) == 0).all()
    shape_9 = m.table[9]
    assert shape_9[len(shape_9) // 2] > shape_9[0] and shape_9[len(shape_9) // 2] > shape_9[-1]  # |z| learned


def test_an_ensemble_is_one_additive_model_with_its_members_mean_logit():
    """Merged over the union of the members' bin edges, the ensemble's terms are the mean of the members'
    terms, also for z exactly on an edge of either member, and an unusable feature adds 0."""
    rng = np.random.default_rng(11)
    n = 4000
    z = rng.normal(size=(n, F))
    usable = rng.random((n, F)) < 0.7
    y = ((z[:, 0] * usable[:, 0] + np.abs(z[:, 8]) * usable[:, 8] + rng.normal(size=n)) > 0.5).astype(int)
    rows = Rows(z, usable, y, np.ones(n))
    members = [fit_logistic(rows), fit_gam(rows), fit_boosted(rows)]
    m = ensemble(members)
    assert m.kind == "ensemble" and m.coef is not None and m.table is not None
    on_edges = np.stack([np.where(np.isfinite(e), e, 0.0)[rng.integers(0, e.size, size=200)]
                         for e in (members[1].edges[j] for j in range(F))], axis=1)
    on_edges[:, 8] = members[2].edges[8][0]  # exactly on a stump's threshold
    for zz, uu in ((z, usable), (on_edges, np.ones_like(on_edges, dtype=bool))):
        want = np.mean([k.terms(zz, uu) for k in members], axis=0)
        assert np.abs(m.terms(zz, uu) - want).max() < 1e-12
        assert np.abs(m.logit(zz, uu) - np.mean([k.logit(zz, uu) for k in members], axis=0)).max() < 1e-12
    assert (m.terms(z, np.zeros_like(usable)) == 0).all()


def test_wesad_labels_map_to_the_binary_target():
    y, scored = WESAD.target(np.array([0, 1, 2, 3, 4, 5, np.nan]))
    assert y.tolist() == [0, 0, 1, 0, 0, 0, 0] and scored.tolist() == [False, True, True, True, False, False, False]


def lines_of(labels: list[int], levels_: list[str]) -> list[dict]:
    """Replay lines a tick a second: each tick's label and level."""
    return [{"t": float(i), "label": c, "level": v} for i, (c, v) in enumerate(zip(labels, levels_, strict=True))]


@pytest.mark.parametrize(("dataset", "rest", "stress", "other"), [(WESAD, 1, 2, 3), (EEGMAT, 0, 1, None)])
def test_level_metrics_follow_each_datasets_own_rest_and_stressor_codes(dataset, rest, stress, other):
    # 5 s of rest (calibrating for 1 s, then 1 s at elevated, 1 at distressed), 2 s of another calm condition
    # (ignored), 5 s of stress that reaches elevated after 1 s and distressed after 3 s
    labels = [rest] * 5 + [other if other is not None else rest] * 2 + [stress] * 5
    lv = ["hold", "calm", "elevated", "distressed", "calm", "calm", "calm", "calm", "elevated", "elevated",
          "distressed", "distressed"]
    out = levels(lines_of(labels, lv), dataset)
    assert (out["delay_elevated_s"], out["delay_distressed_s"]) == (1.0, 3.0)  # from the stressor's onset
    assert out["stress_distressed_share"] == 0.4
    rest_ticks = 4 if other is not None else 6
    assert out["rest_ticks"] == rest_ticks
    assert out["rest_distressed_share"] == round(1 / rest_ticks, 4)
    assert out["rest_elevated_or_above_share"] == round(2 / rest_ticks, 4)


def test_a_folds_recipe_is_what_its_model_is_trained_with(tmp_path: Path, eegmat, monkeypatch):
    """``models.variant --seed/--penalty``: each fold trains with its recipe (the copies its seed draws, the
    members' regularisation), and another recipe gives another model."""
    monkeypatch.setattr(train, "_SUBJECTS", eegmat)
    weights = {"cardiac": 1.0, "eda": 1.0, "eeg": 1.0}
    others = eegmat[:1] + eegmat[2:]

    def weights_of(path: Path) -> dict[str, np.ndarray]:
        return onnx_file.read(path.read_bytes()).initializers

    recipes = (Recipe(), Recipe(seed=1), Recipe(penalty=100.0))
    kept = {}
    for n, recipe in enumerate(recipes):
        train.held_out(train.Fold(("logistic",), "all", 1, json.dumps(weights), keep=tmp_path / str(n), recipe=recipe))
        kept[n] = weights_of(train.fold_model_dir(tmp_path / str(n), "logistic", eegmat[1]) / "distress.onnx")
        direct = tmp_path / f"direct-{n}.onnx"
        model = subjects.fit_kinds(("logistic",), others, "all", recipe)["logistic"]
        write_model(direct, model, metadata(model, others, weights))
        mine = weights_of(direct)
        assert mine.keys() == kept[n].keys()
        assert all(np.array_equal(mine[k], kept[n][k]) for k in mine)
    for n in (1, 2):
        assert any(not np.array_equal(kept[0][k], kept[n][k]) for k in kept[0])
