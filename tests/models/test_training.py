"""Training uses the agent's own pipeline, calibrates like the agent, and exports heads the agent accepts."""

from __future__ import annotations

import numpy as np
import pytest

from agent.baseline import BaselineOptions
from agent.features import FEATURE_NAMES, GROUPS
from agent.model.runtime import DistressModel
from models.datasets import EEGMAT, WESAD
from models.evaluate import loso
from models.extract import extract
from models.heads import fit_head
from models.rows import settled, subject_rows
from models.train import PROTOCOL, TRAIN_ON, prepare  # noqa: F401  (importable without side effects)
from models.export import write_head
from tests.agent.model.test_runtime import meta
from tests.agent.model.vectors import vector


@pytest.fixture(scope="module")
def eegmat_rows():
    out = []
    for subject, path in EEGMAT.recordings()[:4]:
        table = extract(path, subject, EEGMAT.streams)
        rows = subject_rows(table, EEGMAT, BaselineOptions(calibration_s=90), settle_s=20)
        assert rows is not None
        out.append((table, rows))
    return out


def test_tables_come_from_the_serving_pipeline_with_labels(eegmat_rows):
    table, rows = eegmat_rows[0]
    assert table.values.shape == (len(table.t), len(FEATURE_NAMES)) and np.allclose(np.diff(table.t), 0.25)
    assert set(np.unique(table.label)) == {0.0, 1.0}
    eeg = GROUPS.index("eeg")
    assert table.quality[:, eeg].mean() > 0.5 and table.available[:, FEATURE_NAMES.index("eeg_alpha_rel")].mean() > 0.9
    # nothing inside calibration or straddling the rest->task switch is scored
    first_scored = rows.t[rows.scored][0]
    switch = table.t[np.argmax(table.label == 1)]
    assert first_scored >= 90 and not rows.scored[(rows.t >= switch) & (rows.t < switch + 20)].any()


def test_loso_scores_every_subject_with_heads_that_never_saw_it(eegmat_rows):
    result = loso([r for _, r in eegmat_rows], ("eeg", "cardiac"))
    fused = result["fused"]
    assert result["subjects"] == 4 and set(fused["per_subject"]) <= {r.subject for _, r in eegmat_rows}
    assert sum(map(sum, fused["confusion"])) == fused["ticks"] and 0.0 <= fused["macro_f1"] <= 1.0
    assert 0.0 < fused["coverage"] <= 1.0


def test_exported_heads_load_in_the_runtime_and_score_like_training(eegmat_rows, tmp_path):
    rows = [r for _, r in eegmat_rows]
    head = fit_head(rows, "eeg")
    assert head is not None
    write_head(tmp_path / "eeg.onnx", head.coef, head.intercept, meta("eeg"))
    model = DistressModel.load(tmp_path)
    r = rows[0]
    i = int(np.flatnonzero(r.scored & r.group_ok[:, GROUPS.index("eeg")])[0])
    q = dict(zip(GROUPS, r.quality[i].tolist(), strict=True))
    inf = model.infer(r.z[i], vector(0.0, {}, quality=q))
    assert inf is not None
    expected = 1 / (1 + np.exp(-head.logit(r.z[i : i + 1])[0]))
    assert inf.distress == pytest.approx(expected, abs=1e-5)


def test_settled_marks_ticks_whose_windows_lie_in_one_condition():
    t = np.arange(0, 100, 0.25)
    label = np.where(t < 50, 1.0, 2.0)
    ok = settled(t, label, 20.0)
    assert ok[(t >= 20) & (t < 50)].all() and not ok[(t >= 50) & (t < 70)].any() and ok[t >= 70].all()


def test_every_deployed_head_names_datasets_that_carry_its_modality():
    assert set(TRAIN_ON) == set(GROUPS)
    assert "eeg" in EEGMAT.groups and "eeg" not in WESAD.groups
    assert set(PROTOCOL) == {"wesad", "stress-predict", "eegmat"}
