"""The distress model at run time: one ONNX model over every sensor group, gated by quality.

The model scores the baseline z-scores of every feature that may vote
(available, its group's quality passes, and it has a resting level:
``FeatureVector.voting``) and says which ones may
(``usable``), so one model serves a chest strap alone, a GSR band alone, or
both with an EEG headset. With nothing usable there is no inference: the
policy holds rather than guess. ``confidence`` is the share of the model's
sensor groups that voted, weighted by each group's reliability and scaled by
its quality.

The graph is run by :mod:`agent.core.model.graph` (numpy) when it holds only
the operators that evaluator knows, which the exported models do; otherwise
by onnxruntime (:mod:`agent.core.model.ort_session`), imported only then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import structlog

from agent.core.features import FEATURE_NAMES, FeatureVector
from agent.core.model import graph, onnx_file
from agent.core.model.metadata import INPUTS, METADATA_KEY, OUTPUTS, ModelMetadata
from agent.errors import ModelError

if TYPE_CHECKING:
    from agent.core.model.ort_session import OrtGraph

_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}
log = structlog.get_logger("agent.model")


def open_graph(path: Path) -> graph.Graph | OrtGraph:
    """``path``'s graph, ready to run: by numpy when it can, else by onnxruntime (and a warning saying why)."""
    try:
        model = onnx_file.read(path.read_bytes())
        missing = graph.unsupported(model)
        if not missing:
            return graph.Graph(model)
    except (OSError, ModelError) as exc:
        raise ModelError(f"{path}: cannot load the model ({exc})", source=str(path), field="model") from exc
    log.warning("model_needs_onnxruntime", path=str(path), unsupported=missing[:8],
                why="the built-in evaluator does not hold these; onnxruntime costs about 26 MB more")
    from agent.core.model.ort_session import OrtGraph

    return OrtGraph(path)


def packaged_model_dir() -> Path:
    """The model shipped with the agent (``models/distress`` in the source tree)."""
    return Path(str(resources.files("models") / "distress"))


@dataclass(frozen=True, slots=True)
class Inference:
    distress: float  # probability, 0-1
    confidence: float  # 0-1
    groups: tuple[str, ...]  # the sensor groups that voted
    terms: tuple[tuple[str, float], ...]  # (feature, its term in the logit) for every usable feature

    def contributions(self) -> list[tuple[str, float]]:
        """Every usable feature's push towards distress (positive) or calm, strongest first."""
        return sorted(self.terms, key=lambda nc: -abs(nc[1]))


class DistressModel:
    """One ONNX file: z-scores and the usable mask in; probability, logit and contributions out."""

    def __init__(self, path: Path) -> None:
        self.graph = open_graph(path)
        self.engine = self.graph.engine  # "numpy" or "onnxruntime"
        self.meta = ModelMetadata.parse(self.graph.metadata.get(METADATA_KEY), path)
        self.meta.check(path)
        inputs, outputs = list(self.graph.inputs), list(self.graph.outputs)
        if sorted(inputs) != sorted(INPUTS) or sorted(outputs) != sorted(OUTPUTS):
            raise ModelError(
                f"{path}: expected inputs {INPUTS} and outputs {OUTPUTS}, found {inputs} and {outputs}",
                source=str(path), field="model",
            )
        self.path = path
        self.version = self.meta.model_version
        self.columns = np.array([_INDEX[f] for f in self.meta.features])
        self._feature_groups = self.meta.groups
        self.groups = tuple(dict.fromkeys(self.meta.groups))
        self._weights = {g: self.meta.group_weights.get(g, 0.0) for g in self.groups}
        self._total_weight = sum(self._weights.values()) or 1.0
        self._last: tuple[bytes, Inference | None] | None = None
        self.invalid = 0  # inferences that gave no finite probability (returned with distress NaN)
        f = len(self.meta.features)
        try:  # a graph whose shapes do not fit the contract fails here, at load, not on the first tick
            answers = self.graph.run(OUTPUTS, {"z": np.zeros((1, f), np.float32), "usable": np.ones((1, f), np.float32)})
            shapes = tuple(np.shape(a) for a in answers)
            if shapes != ((1, 1), (1, 1), (1, f)):
                raise ModelError(f"outputs {dict(zip(OUTPUTS, shapes, strict=True))}, the contract is (1, 1), (1, 1), (1, {f})")
        except ModelError as exc:
            raise ModelError(f"{path}: the graph does not run ({exc})", source=str(path), field="model") from exc

    @classmethod
    def load(cls, directory: Path | None = None) -> DistressModel:
        """The one ``*.onnx`` model in ``directory`` (default: the packaged model), checked."""
        directory = directory or packaged_model_dir()
        files = sorted(directory.glob("*.onnx")) if directory.is_dir() else []
        if len(files) != 1:
            found = "none" if not files else ", ".join(f.name for f in files)
            raise ModelError(
                f"{directory}: expected one distress model (*.onnx), found {found}; set [model] dir to a folder "
                "holding one exported model, or reinstall the agent", source=str(directory), field="model.dir",
            )
        return cls(files[0])

    def run(self, z: np.ndarray, usable: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(probability, logit, contributions) for the model's own columns."""
        feed = {"z": z.reshape(1, -1).astype(np.float32, copy=False),
                "usable": usable.reshape(1, -1).astype(np.float32, copy=False)}
        prob, logit, contrib = self.graph.run(OUTPUTS, feed)
        return float(prob[0, 0]), float(logit[0, 0]), contrib[0]

    def infer(self, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        """The model over ``fv``'s usable features; None when no sensor group may vote.

        A broken model's non-finite answer comes back as it is (distress NaN): the policy holds
        on it, and a model update on probation is rolled back for it."""
        usable = fv.usable[self.columns]
        if not usable.any():
            return None
        zc = np.where(usable, z[self.columns], 0.0).astype(np.float32)
        quality = {g: fv.quality[g].index for g in self.groups}
        key = zc.tobytes() + usable.tobytes() + repr(sorted(quality.items())).encode()
        if self._last is not None and self._last[0] == key:
            return self._last[1]  # the slow features change once a second: the same input, the same answer
        prob, _, contrib = self.run(zc, usable)
        # Python lists: iterating 23 numpy scalars cost more than the model's own arithmetic
        used = [i for i, u in enumerate(usable.tolist()) if u]
        present = {self._feature_groups[i] for i in used}
        voted = tuple(g for g in self.groups if g in present)
        confidence = sum(self._weights[g] * quality[g] for g in voted) / self._total_weight
        values = contrib.tolist()  # float32 to float exactly, as float() of each element
        terms = tuple((self.meta.features[i], values[i]) for i in used)
        if not math.isfinite(prob):
            self.invalid += 1  # a broken model: the policy holds on it and model updates roll it back
            terms = ()
        out = Inference(distress=prob, confidence=min(1.0, confidence), groups=voted, terms=terms)
        self._last = (key, out)
        return out
