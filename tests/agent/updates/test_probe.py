"""The test-load: onnxruntime, the model's metadata against the extractor, the manifest's contract, a probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import UpdateRefused
from agent.runtime.updates.manifest import Contract
from agent.runtime.updates.probe import contract_of, trial_load
from tests.support.model_variants import make_variant, nan_everywhere


def test_a_good_model_loads_and_declares_its_contract(tmp_path: Path):
    model = trial_load(make_variant(tmp_path / "m", "distress-2.0.0"))
    assert model.version == "distress-2.0.0" and ("hr_bpm", "bpm") in contract_of(model).features


def _bpm_per_second(meta: dict) -> None:
    meta["units"] = ["beats/s" if u == "bpm" else u for u in meta["units"]]


@pytest.mark.parametrize(("variant", "reason", "words"), [
    ({"meta": _bpm_per_second}, "load", "'beats/s'"),
    ({"graph": nan_everywhere}, "nan", "no finite decision"),
])
def test_a_model_that_does_not_fit_or_gives_nan_is_refused(tmp_path: Path, variant: dict, reason: str, words: str):
    with pytest.raises(UpdateRefused) as err:
        trial_load(make_variant(tmp_path / "m", "distress-bad", **variant), version=4)
    assert (err.value.reason, err.value.version) == (reason, 4) and words in str(err.value)


def test_a_manifest_whose_contract_differs_from_the_model_metadata_is_refused(tmp_path: Path):
    d = make_variant(tmp_path / "m", "distress-2.0.0")
    declared = contract_of(trial_load(d))
    fewer = Contract(normalisation=declared.normalisation, features=declared.features[:3])
    with pytest.raises(UpdateRefused, match="differs from the contract"):
        trial_load(d, fewer, 4)
    with pytest.raises(UpdateRefused) as err:
        trial_load(tmp_path / "nothing-here")
    assert err.value.reason == "load"
