"""What a distress model declares about itself, and the check that it fits this agent.

A model is one ONNX file whose ``metadata_props`` carry ``edge_agent``: a
JSON object described by :class:`ModelMetadata`. The training code writes it
(``models/export.py``); the runtime reads it at start-up and refuses a model
whose features, units, groups or normalisation differ from the running
extractor's, because such a model would silently score the wrong numbers.

The graph's contract: inputs ``z`` (1, F) baseline z-scores, 0 where a feature
is unusable, and ``usable`` (1, F), 1 where it may vote; outputs
``probability`` (1, 1), ``logit`` (1, 1) and ``contributions`` (1, F), each
feature's exact term in the logit (what the reasons are made of). Which
sensors are present is carried by ``usable``, so one model serves any subset
of sensors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from agent.core.baseline import NORMALISATION
from agent.core.features import FEATURE_UNITS, FEATURES, FeatureConfig
from agent.errors import ModelError

FORMAT = 2
METADATA_KEY = "edge_agent"
INPUTS = ("z", "usable")
OUTPUTS = ("probability", "logit", "contributions")


class ModelMetadata(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    format: int = FORMAT
    model_version: str
    kind: str  # "logistic", "gam"/"boosted" (binned) or "ensemble" (both): all additive, exact per-feature terms
    features: tuple[str, ...]
    units: tuple[str, ...]
    groups: tuple[str, ...]  # the quality group of each feature
    normalisation: str
    group_weights: dict[str, float]  # how much each sensor group adds to the confidence (its LOSO reliability)
    threshold: float = pydantic.Field(0.5, gt=0, lt=1)
    datasets: tuple[str, ...]
    subjects: int
    data_sha256: str
    created: str
    # the [features] settings the model was trained with; None in models that did not record them
    feature_settings: dict[str, Any] | None = None

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def parse(cls, raw: str | None, path: Path) -> ModelMetadata:
        if raw is None:
            raise ModelError(f"{path}: no '{METADATA_KEY}' metadata; it was not exported by models/export.py",
                             source=str(path), field="model")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ModelError(f"{path}: unreadable '{METADATA_KEY}' metadata ({exc})", source=str(path), field="model") from exc
        if isinstance(data, dict) and data.get("format") != FORMAT:
            raise ModelError(
                f"{path}: a model of format {data.get('format')!r} (per-modality heads), this agent reads format "
                f"{FORMAT} (one model over every sensor); install the models shipped with this version",
                source=str(path), field="model",
            )
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ModelError(f"{path}: unreadable '{METADATA_KEY}' metadata ({exc})", source=str(path), field="model") from exc

    def check(self, path: Path) -> None:
        """Raise :class:`ModelError` unless this model scores exactly what the extractor computes."""
        groups = {f.name: f.group for f in FEATURES}
        problems = []
        if self.normalisation != NORMALISATION:
            problems.append(f"normalisation {self.normalisation!r}, this agent uses {NORMALISATION!r}")
        if not (len(self.units) == len(self.groups) == len(self.features)):
            problems.append(f"{len(self.features)} features, {len(self.units)} units and {len(self.groups)} groups")
        for name, unit, group in zip(self.features, self.units, self.groups, strict=False):
            if name not in FEATURE_UNITS:
                problems.append(f"feature {name!r} is not computed by this agent")
            elif FEATURE_UNITS[name] != unit:
                problems.append(f"feature {name!r} in {unit!r}, this agent computes it in {FEATURE_UNITS[name]!r}")
            elif groups[name] != group:
                problems.append(f"feature {name!r} belongs to group {groups[name]!r}, the model says {group!r}")
        if problems:
            raise ModelError(
                f"{path}: model {self.model_version} does not fit this agent: " + "; ".join(problems)
                + ". Retrain it with `python -m models.train`, or point [model] dir at models made for this version.",
                source=str(path), field="model",
            )

    def settings_differ(self, running: FeatureConfig) -> list[str]:
        """Each ``[features]`` setting where this agent computes otherwise than the model was trained with.

        Not a refusal: the features keep their names and units, so the model still runs; but, say, EEG band
        powers over another window move the z-scores the model learned from, and the technician should know.
        """
        if self.feature_settings is None:
            return []
        trained, here = _flat(self.feature_settings), _flat(running.model_dump(mode="json"))
        return [f"{_where(k)} = {here.get(k)!r} here, {trained.get(k)!r} in training"
                for k in sorted(set(trained) | set(here)) if trained.get(k) != here.get(k)]


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys (``eeg.window_s``); tuples and lists compared as lists."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = list(v) if isinstance(v, tuple) else v
    return out


def _where(key: str) -> str:
    """``eeg.window_s`` as it is written in the config file: ``[features.eeg] window_s``."""
    section, _, name = key.rpartition(".")
    return f"[features{'.' + section if section else ''}] {name}"
