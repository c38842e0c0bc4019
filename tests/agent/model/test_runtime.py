"""The model runtime: metadata checked at start-up, gating, fusion, contributions (agent/model/runtime.py)."""

from __future__ import annotations

import numpy as np
import pytest

from agent.baseline import NORMALISATION, Profile
from agent.errors import ModelError
from agent.features import FEATURE_NAMES, FEATURE_UNITS, FEATURES, GROUPS
from agent.model.metadata import HeadMetadata
from agent.model.runtime import DistressModel, packaged_model_dir
from models.export import write_head
from models.heads import FittedHead, fuse
from models.rows import SubjectRows
from tests.agent.model.vectors import REST, STRESS, vector


def names(group: str) -> tuple[str, ...]:
    return tuple(f.name for f in FEATURES if f.group == group)


def meta(group: str, **changes: object) -> HeadMetadata:
    n = names(group)
    fields: dict[str, object] = dict(
        model_version="test-1", group=group, features=n, units=tuple(FEATURE_UNITS[x] for x in n),
        normalisation=NORMALISATION, weight=1.0, datasets=("test",), subjects=3, data_sha256="0" * 64,
        created="2026-11-21T00:00:00Z",
    )
    fields.update(changes)
    return HeadMetadata(**fields)  # type: ignore[arg-type]


def write(tmp_path, group: str, coef: np.ndarray | None = None, intercept: float = 0.0, **changes: object) -> None:
    m = meta(group, **changes)
    write_head(tmp_path / f"{group}.onnx", np.ones(len(m.features)) if coef is None else coef, intercept, m)


def test_the_packaged_model_loads_and_covers_every_group():
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
        ({"units": ("bpm",) * 8}, r"feature 'mean_nn_ms' in 'bpm', this agent computes it in 'ms'"),
        ({"features": ("hr_bpm", "heart_flux"), "units": ("bpm", "au")}, r"feature 'heart_flux' is not computed"),
        ({"normalisation": "minmax/2"}, r"normalisation 'minmax/2', this agent uses"),
    ],
)
def test_a_head_made_for_other_features_is_refused_with_the_fix(tmp_path, changes, message):
    n = len(changes.get("features", names("cardiac")))  # type: ignore[arg-type]
    write(tmp_path, "cardiac", coef=np.ones(n), **changes)
    with pytest.raises(ModelError, match=message) as err:
        DistressModel.load(tmp_path)
    assert "python -m models.train" in str(err.value) and "cardiac.onnx" in str(err.value)


def test_missing_or_unreadable_models_are_config_errors(tmp_path):
    with pytest.raises(ModelError, match=r"no model heads \(\*\.onnx\) found; set \[model\] dir"):
        DistressModel.load(tmp_path)
    (tmp_path / "eda.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"eda\.onnx: cannot load the model"):
        DistressModel.load(tmp_path)


def test_a_poor_modality_never_votes_and_none_left_means_no_inference(tmp_path):
    write(tmp_path, "cardiac", intercept=0.0)
    write(tmp_path, "eda", coef=-np.ones(len(names("eda"))))
    model = DistressModel.load(tmp_path)
    z = np.ones(len(FEATURE_NAMES), dtype=np.float32)
    both = model.infer(z, vector(0, REST))
    eda_only = model.infer(z, vector(0, REST, quality={"cardiac": 0.2}))
    assert both is not None and eda_only is not None
    assert [h.group for h in eda_only.heads] == ["eda"] and eda_only.distress < 0.01
    assert both.confidence == pytest.approx(1.0) and eda_only.confidence == pytest.approx(0.5)
    assert model.infer(z, vector(0, REST, quality={"cardiac": 0.2, "eda": 0.4})) is None


def test_contributions_are_the_logit_split_by_feature(tmp_path):
    coef = np.linspace(-1, 1, len(names("eda")))
    write(tmp_path, "eda", coef=coef, intercept=0.3)
    model = DistressModel.load(tmp_path)
    rng = np.random.default_rng(0)
    z = rng.normal(size=len(FEATURE_NAMES)).astype(np.float32)
    inf = model.infer(z, vector(0, REST))
    assert inf is not None
    head = inf.heads[0]
    cols = [FEATURE_NAMES.index(n) for n in names("eda")]
    assert head.contributions == pytest.approx(dict(zip(names("eda"), (z[cols] * coef).tolist(), strict=True)), rel=1e-5)
    assert head.logit == pytest.approx(sum(head.contributions.values()) + 0.3, rel=1e-5)


def test_runtime_fusion_matches_the_training_code(tmp_path):
    """Training scores with models.heads.fuse; the agent with DistressModel.infer: they must agree."""
    rng = np.random.default_rng(7)
    heads = []
    for g, w in (("cardiac", 0.4), ("eda", 0.9), ("eeg", 0.2)):
        coef, b = rng.normal(size=len(names(g))), float(rng.normal())
        write(tmp_path, g, coef=coef, intercept=b, weight=w)
        heads.append(FittedHead(g, coef, b, w))
    model = DistressModel.load(tmp_path)
    n = 50
    z = rng.normal(size=(n, len(FEATURE_NAMES))).astype(np.float32)
    quality = rng.uniform(0, 1, size=(n, len(GROUPS))).astype(np.float32)
    rows = SubjectRows("x", np.arange(n) * 0.25, z, quality >= 0.5, quality, np.zeros(n, np.int8), np.ones(n, bool),
                       Profile.empty())
    p, decided = fuse(rows, heads)
    for i in range(n):
        inf = model.infer(z[i], vector(0, REST, quality=dict(zip(GROUPS, quality[i].tolist(), strict=True))))
        assert (inf is not None) == decided[i]
        if inf is not None:
            assert inf.distress == pytest.approx(p[i], abs=1e-5)
