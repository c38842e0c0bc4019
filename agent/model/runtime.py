"""The distress model at run time: one ONNX head per feature group, fused by quality.

Each head scores its own group's baseline z-scores (cardiac, EDA, EEG) and
returns a probability and each feature's contribution to its logit. A head
votes only when its group's quality passes; the votes are averaged in logit
space, weighted by the head's LOSO reliability (``weight``) times the
group's current quality index. With no voting head there is no inference:
the policy holds rather than guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort

from agent.errors import ModelError
from agent.features import FEATURE_NAMES, FeatureVector
from agent.model.metadata import INPUT, METADATA_KEY, OUTPUTS, HeadMetadata

_INDEX = {n: i for i, n in enumerate(FEATURE_NAMES)}


def packaged_model_dir() -> Path:
    """The models shipped with the agent (``models/distress`` in the source tree)."""
    return Path(str(resources.files("models") / "distress"))


@dataclass(frozen=True, slots=True)
class HeadResult:
    group: str
    probability: float
    logit: float
    vote: float  # this head's share of the fused decision, 0-1
    contributions: dict[str, float]  # feature -> its term in the logit (positive pushes towards distress)


@dataclass(frozen=True, slots=True)
class Inference:
    distress: float  # fused probability, 0-1
    confidence: float  # share of the model's total reliability that voted, scaled by quality, 0-1
    heads: tuple[HeadResult, ...]

    def contributions(self) -> list[tuple[str, float]]:
        """Every feature's weighted push towards distress, strongest first."""
        out = [(name, c * h.vote) for h in self.heads for name, c in h.contributions.items()]
        return sorted(out, key=lambda nc: -abs(nc[1]))


class Head:
    """One ONNX file: a group's z-scores in, probability, logit and contributions out."""

    def __init__(self, path: Path) -> None:
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # one tiny matrix a tick: threads only cost start-up and memory
            options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable files
            raise ModelError(f"{path}: cannot load the model ({exc})", source=str(path), field="model") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        self.meta = HeadMetadata.parse(meta.get(METADATA_KEY), path)
        self.meta.check(path)
        inputs = self.session.get_inputs()
        outputs = [o.name for o in self.session.get_outputs()]
        if [i.name for i in inputs] != [INPUT] or sorted(outputs) != sorted(OUTPUTS):
            raise ModelError(
                f"{path}: expected input {INPUT!r} and outputs {OUTPUTS}, found {[i.name for i in inputs]} and {outputs}",
                source=str(path), field="model",
            )
        self.path = path
        self.group = self.meta.group
        self.columns = np.array([_INDEX[f] for f in self.meta.features])

    def run(self, z: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(probability, logit, contributions) for the full z vector (only this head's columns are used)."""
        x = z[self.columns].reshape(1, -1).astype(np.float32, copy=False)
        prob, logit, contrib = self.session.run(list(OUTPUTS), {INPUT: x})
        return float(prob[0, 0]), float(logit[0, 0]), contrib[0]


class DistressModel:
    def __init__(self, heads: list[Head]) -> None:
        groups = [h.group for h in heads]
        if not heads or len(set(groups)) != len(groups):
            raise ModelError(f"a model needs one head per group, found {groups or 'none'}", field="model")
        self.heads = heads
        self.version = heads[0].meta.model_version
        self._total_weight = sum(h.meta.weight for h in heads)

    @classmethod
    def load(cls, directory: Path | None = None) -> DistressModel:
        """Every ``*.onnx`` head in ``directory`` (default: the packaged models), checked."""
        directory = directory or packaged_model_dir()
        files = sorted(directory.glob("*.onnx")) if directory.is_dir() else []
        if not files:
            raise ModelError(
                f"{directory}: no model heads (*.onnx) found; set [model] dir to a folder of exported heads "
                "or reinstall the agent", source=str(directory), field="model.dir",
            )
        model = cls([Head(p) for p in files])
        versions = {h.meta.model_version for h in model.heads}
        if len(versions) > 1:
            raise ModelError(f"{directory}: heads of different model versions {sorted(versions)}; keep one version",
                             source=str(directory), field="model.dir")
        return model

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(h.group for h in self.heads)

    def infer(self, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        """Fuse the heads whose group is trustworthy in ``fv``; None when none is."""
        runs = []
        for head in self.heads:
            if not fv.group_ok(head.group):
                continue  # a poor or absent modality never votes
            weight = head.meta.weight * fv.quality[head.group].index
            if weight <= 0:
                continue
            runs.append((head, weight, *head.run(z)))
        if not runs:
            return None
        total = sum(w for _, w, *_ in runs)
        logit = sum(w * lg for _, w, _, lg, _ in runs) / total
        results = tuple(
            HeadResult(
                group=head.group, probability=p, logit=lg, vote=w / total,
                contributions=dict(zip(head.meta.features, contrib.tolist(), strict=True)),
            )
            for head, w, p, lg, contrib in runs
        )
        distress = 1.0 / (1.0 + math.exp(-logit))
        return Inference(distress=distress, confidence=min(1.0, total / self._total_weight), heads=results)
