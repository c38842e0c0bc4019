"""The test-load: the one place that knows how a model directory becomes a running model.

Re-point :func:`trial_load` and :func:`contract_of` when the model format
changes; everything else in :mod:`agent.runtime.updates` treats a model as a
directory of files listed in the manifest.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agent.core.baseline import NORMALISATION
from agent.core.features import FEATURE_NAMES, FEATURE_UNITS, GROUPS, FeatureVector
from agent.core.signals.quality import QualityReport
from agent.errors import ModelError, UpdateRefused
from agent.runtime.updates.manifest import Contract

if TYPE_CHECKING:
    from agent.core.model.runtime import DistressModel


def agent_contract() -> Contract:
    """What the running feature extractor computes: every feature, its unit, and the normalisation."""
    return Contract(normalisation=NORMALISATION, features=tuple((n, FEATURE_UNITS[n]) for n in FEATURE_NAMES))


def contract_of(model: DistressModel) -> Contract:
    """The features (with units) and normalisation a loaded model declares it reads."""
    meta = model.meta
    features = dict(zip(meta.features, meta.units, strict=True))
    return Contract(normalisation=meta.normalisation, features=tuple(sorted(features.items())))


def check_contract(contract: Contract, version: int | None = None) -> None:
    """Refuse a contract the running extractor cannot satisfy (before a byte is downloaded)."""
    mine = agent_contract()
    problems = []
    if contract.normalisation != mine.normalisation:
        problems.append(f"normalisation {contract.normalisation!r}, this agent uses {mine.normalisation!r}")
    units = dict(mine.features)
    for name, unit in contract.features:
        if name not in units:
            problems.append(f"feature {name!r} is not computed by this agent")
        elif units[name] != unit:
            problems.append(f"feature {name!r} in {unit!r}, this agent computes it in {units[name]!r}")
    if problems:
        raise UpdateRefused("contract", "model does not fit this agent's features: " + "; ".join(problems), version=version)


def probe_vector() -> tuple[np.ndarray, FeatureVector]:
    """A zero feature vector with every group trustworthy: the baseline itself."""
    n = len(FEATURE_NAMES)
    clean = {g: QualityReport(1.0, ()) for g in GROUPS}
    fv = FeatureVector(0.0, np.zeros(n, np.float32), np.ones(n, bool), clean, dict.fromkeys(GROUPS), 0.5)
    return np.zeros(n, np.float32), fv


def trial_load(directory: Path, expected: Contract | None = None, version: int | None = None) -> DistressModel:
    """Load ``directory``'s model, check its contract, and probe it once; UpdateRefused otherwise."""
    from agent.core.model.runtime import DistressModel  # numpy and the model: only when one is actually loaded

    try:
        model = DistressModel.load(directory)
    except ModelError as exc:
        raise UpdateRefused("load", f"test-load failed: {exc}", version=version) from exc
    if expected is not None:
        declared = contract_of(model)
        check_contract(declared, version)
        if set(declared.features) != set(expected.features) or declared.normalisation != expected.normalisation:
            raise UpdateRefused("contract", "the model's own metadata differs from the contract its manifest signed",
                                version=version)
    z, fv = probe_vector()
    try:
        inference = model.infer(z, fv)
    except Exception as exc:  # a graph onnxruntime runs (the fallback) raises its own untyped errors
        raise UpdateRefused("load", f"probe inference failed: {exc}", version=version) from exc
    if inference is None or not (math.isfinite(inference.distress) and math.isfinite(inference.confidence)):
        raise UpdateRefused("nan", "probe inference on the baseline gave no finite decision", version=version)
    return model
