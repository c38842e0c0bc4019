"""The distress model at run time: one ONNX file, checked at load, gated by quality, exact terms."""

from __future__ import annotations

import numpy as np
import pytest

from agent.core.baseline import NORMALISATION, Profile
from agent.core.features import FEATURE_NAMES, FEATURE_UNITS, FEATURES, GROUPS, FeatureConfig
from agent.core.model.metadata import ModelMetadata
from agent.core.model.runtime import DistressModel, packaged_model_dir
from agent.core.signals.eeg import EegConfig
from agent.errors import ModelError
from models.export import Additive, write_model
from models.fit import MEMBERSHIP
from tests.agent.model.vectors import REST, STRESS, vector

F = len(FEATURES)


def meta(**changes: object) -> ModelMetadata:
    fields: dict[str, object] = dict(
        model_version="test-2", kind="logistic", features=tuple(FEATURE_NAMES),
        units=tuple(FEATURE_UNITS[x] for x in FEATURE_NAMES), groups=tuple(f.group for f in FEATURES),
        normalisation=NORMALISATION, group_weights={"cardiac": 1.0, "eda": 1.0, "eeg": 2.0}, datasets=("test",),
        subjects=3, data_sha256="0" * 64, created="2026-12-03T00:00:00Z",
    )
    fields.update(changes)
    return ModelMetadata(**fields)  # type: ignore[arg-type]


def logistic(coef: np.ndarray, intercept: float = 0.0, presence: np.ndarray | None = None) -> Additive:
    return Additive("logistic", intercept, np.zeros(len(GROUPS)) if presence is None else presence, MEMBERSHIP, coef=coef)


def gam(rng: np.random.Generator, bins: int = 6) -> Additive:
    edges = np.sort(rng.normal(size=(F, bins - 1)), axis=1)
    edges[0, 3:] = np.inf  # a feature with fewer cuts, padded as training pads it
    return Additive("gam", 0.2, rng.normal(size=len(GROUPS)), MEMBERSHIP, edges=edges, table=rng.normal(size=(F, bins)))


def mixed(rng: np.random.Generator) -> Additive:
    """A model with a weight and a binned shape per feature: the ensemble kind."""
    from models.fit import ensemble

    return ensemble([logistic(rng.normal(size=F), 0.3, rng.normal(size=len(GROUPS))), gam(rng), gam(rng, bins=4)])


def model_of(kind: str, rng: np.random.Generator) -> Additive:
    if kind == "logistic":
        return logistic(rng.normal(size=F), 0.3, rng.normal(size=len(GROUPS)))
    return gam(rng) if kind == "gam" else mixed(rng)


def test_the_packaged_model_loads_and_tells_stress_from_rest():
    model = DistressModel.load(packaged_model_dir())
    assert set(model.groups) == set(GROUPS)
    rest = Profile(np.array([REST[n] for n in FEATURE_NAMES]), np.full(len(FEATURE_NAMES), np.nan))
    calm, stress = vector(0, REST), vector(0, STRESS)
    p_calm = model.infer(rest.normalise(calm.values, calm.usable)[0], calm)
    p_stress = model.infer(rest.normalise(stress.values, stress.usable)[0], stress)
    assert p_calm is not None and p_stress is not None
    assert p_stress.distress > 0.7 > 0.5 > p_calm.distress


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"units": ("bpm",) * F}, r"feature 'mean_nn_ms' in 'bpm', this agent computes it in 'ms'"),
        ({"features": ("heart_flux", *FEATURE_NAMES[1:])}, r"feature 'heart_flux' is not computed"),
        ({"groups": ("eda",) * F}, r"feature 'hr_bpm' belongs to group 'cardiac', the model says 'eda'"),
        ({"normalisation": "minmax/2"}, r"normalisation 'minmax/2', this agent uses"),
    ],
)
def test_a_model_made_for_other_features_is_refused_with_the_fix(tmp_path, changes, message):
    write_model(tmp_path / "distress.onnx", logistic(np.ones(F)), meta(**changes))
    with pytest.raises(ModelError, match=message) as err:
        DistressModel.load(tmp_path)
    assert "python -m models.train" in str(err.value) and "distress.onnx" in str(err.value)


def test_feature_settings_other_than_the_models_are_named_as_in_the_config_file():
    trained = FeatureConfig(eeg=EegConfig(window_s=6.0)).model_dump(mode="json")
    model = meta(feature_settings=trained)
    assert model.settings_differ(FeatureConfig(eeg=EegConfig(window_s=6.0))) == []
    assert model.settings_differ(FeatureConfig(tick_hz=2.0, eeg=EegConfig(window_s=20.0))) == [
        "[features.eeg] window_s = 20.0 here, 6.0 in training", "[features] tick_hz = 2.0 here, 4.0 in training"]
    assert meta().settings_differ(FeatureConfig(tick_hz=2.0)) == []  # an older model that did not record them


def test_missing_unreadable_or_ambiguous_models_are_config_errors(tmp_path):
    with pytest.raises(ModelError, match=r"expected one distress model \(\*\.onnx\), found none; set \[model\] dir"):
        DistressModel.load(tmp_path)
    (tmp_path / "eda.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"eda\.onnx: cannot load the model"):
        DistressModel.load(tmp_path)
    write_model(tmp_path / "distress.onnx", logistic(np.ones(F)), meta())
    with pytest.raises(ModelError, match=r"found distress\.onnx, eda\.onnx"):
        DistressModel.load(tmp_path)


def test_a_poor_sensor_group_never_votes_and_none_left_means_no_inference(tmp_path):
    coef = np.where(MEMBERSHIP[:, GROUPS.index("eda")] > 0, -1.0, 1.0)
    write_model(tmp_path / "distress.onnx", logistic(coef), meta())
    model = DistressModel.load(tmp_path)
    z = np.ones(F, dtype=np.float32)
    both = model.infer(z, vector(0, REST))
    eda_only = model.infer(z, vector(0, {k: v for k, v in REST.items() if not k.startswith("eeg")},
                                     quality={"cardiac": 0.2}))
    assert both is not None and eda_only is not None
    assert eda_only.groups == ("eda",) and eda_only.distress < 0.01
    assert {n for n, _ in eda_only.terms} == {f.name for f in FEATURES if f.group == "eda"}
    assert both.confidence == pytest.approx(1.0) and eda_only.confidence == pytest.approx(0.25)
    assert model.infer(z, vector(0, REST, quality={"cardiac": 0.2, "eda": 0.4, "eeg": 0.1})) is None


@pytest.mark.parametrize("kind", ["logistic", "gam", "ensemble"])
def test_the_graph_computes_exactly_what_training_computes(tmp_path, kind):
    """The runtime's probability and terms equal models.export.Additive's numpy twin, for every kind."""
    rng = np.random.default_rng(7)
    m = model_of(kind, rng)
    write_model(tmp_path / "distress.onnx", m, meta(kind=kind))
    model = DistressModel.load(tmp_path)
    for _ in range(40):
        z = rng.normal(size=F).astype(np.float32)
        quality = dict(zip(GROUPS, rng.uniform(0, 1, size=len(GROUPS)).tolist(), strict=True))
        fv = vector(0, REST, quality=quality)
        inf = model.infer(z, fv)
        usable = fv.usable
        if not usable.any():
            assert inf is None
            continue
        assert inf is not None
        zz = np.where(usable, z, 0.0)[None, :].astype(np.float64)
        logit = float(m.logit(zz, usable[None, :])[0])
        assert inf.distress == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-5)
        terms = dict(inf.terms)
        want = m.terms(zz, usable[None, :])[0]
        assert set(terms) == {FEATURE_NAMES[i] for i in np.flatnonzero(usable)}
        assert [terms[FEATURE_NAMES[i]] for i in np.flatnonzero(usable)] == pytest.approx(want[usable].tolist(), abs=1e-5)


def test_a_model_that_answers_nan_is_counted_and_the_policy_holds_on_it(tmp_path):
    from agent.core.baseline import BaselineOptions, PatientBaseline
    from agent.core.policy import AdaptationPolicy

    write_model(tmp_path / "distress.onnx", logistic(np.full(F, np.nan)), meta())
    model = DistressModel.load(tmp_path)
    inf = model.infer(np.ones(F, dtype=np.float32), vector(0, REST))
    assert inf is not None and np.isnan(inf.distress) and inf.terms == () and model.invalid == 1
    policy = AdaptationPolicy(model, PatientBaseline(BaselineOptions(calibration_s=10, min_samples=5), None))
    out = [policy.update(vector(i * 0.25, STRESS)) for i in range(60)]
    assert out[-1].level.value == "hold" and out[-1].reasons == ("the model gave no finite answer",)
