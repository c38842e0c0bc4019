"""What a distress-model head declares about itself, and the check that it fits this agent.

Each head is one ONNX file whose ``metadata_props`` carry ``edge_agent``: a
JSON object described by :class:`HeadMetadata`. The training code writes it
(``models/export.py``); the runtime reads it at start-up and refuses a head
whose features, units or normalisation differ from the running extractor's,
because such a model would silently score the wrong numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pydantic

from agent.baseline import NORMALISATION
from agent.errors import ModelError
from agent.features import FEATURE_UNITS, FEATURES

FORMAT = 1
METADATA_KEY = "edge_agent"
INPUT = "z"  # (1, k) float32: the head's features as baseline z-scores, 0 where unusable
OUTPUTS = ("probability", "logit", "contributions")  # (1, 1), (1, 1), (1, k): contribution of each feature to the logit


class HeadMetadata(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    format: int = FORMAT
    model_version: str
    group: str  # the feature group ("cardiac", "eda", "eeg") whose quality gates this head
    features: tuple[str, ...]
    units: tuple[str, ...]
    normalisation: str
    weight: float = pydantic.Field(gt=0, description="how much this head counts in the fusion (from LOSO)")
    threshold: float = pydantic.Field(0.5, gt=0, lt=1)
    datasets: tuple[str, ...]
    subjects: int
    data_sha256: str
    created: str

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def parse(cls, raw: str | None, path: Path) -> HeadMetadata:
        if raw is None:
            raise ModelError(f"{path}: no '{METADATA_KEY}' metadata; it was not exported by models/export.py",
                             source=str(path), field="model")
        try:
            return cls.model_validate(json.loads(raw))
        except (ValueError, pydantic.ValidationError) as exc:
            raise ModelError(f"{path}: unreadable '{METADATA_KEY}' metadata ({exc})", source=str(path), field="model") from exc

    def check(self, path: Path) -> None:
        """Raise :class:`ModelError` unless this head scores exactly what the extractor computes."""
        groups = {f.name: f.group for f in FEATURES}
        problems = []
        if self.format != FORMAT:
            problems.append(f"metadata format {self.format}, this agent reads {FORMAT}")
        if self.normalisation != NORMALISATION:
            problems.append(f"normalisation {self.normalisation!r}, this agent uses {NORMALISATION!r}")
        if len(self.units) != len(self.features):
            problems.append(f"{len(self.features)} features but {len(self.units)} units")
        for name, unit in zip(self.features, self.units, strict=False):
            if name not in FEATURE_UNITS:
                problems.append(f"feature {name!r} is not computed by this agent")
            elif FEATURE_UNITS[name] != unit:
                problems.append(f"feature {name!r} in {unit!r}, this agent computes it in {FEATURE_UNITS[name]!r}")
            elif groups[name] != self.group:
                problems.append(f"feature {name!r} belongs to group {groups[name]!r}, not the head's {self.group!r}")
        if problems:
            raise ModelError(
                f"{path}: model {self.model_version} does not fit this agent: " + "; ".join(problems)
                + ". Retrain it with `python -m models.train`, or point [model] dir at models made for this version.",
                source=str(path), field="model",
            )
