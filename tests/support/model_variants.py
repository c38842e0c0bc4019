"""Model directories for update tests: the packaged model relabelled, broken in chosen ways, or padded.

Made with the ``onnx`` package from the packaged model, so each variant is a
real ONNX model that onnxruntime loads (or refuses) for real.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from agent.core.features import FEATURES, GROUPS
from agent.core.model.metadata import METADATA_KEY, ModelMetadata
from agent.core.model.runtime import packaged_model_dir

INPUT = "z"


def _meta(model: onnx.ModelProto) -> dict[str, Any]:
    return json.loads(next(p.value for p in model.metadata_props if p.key == METADATA_KEY))


def _only(groups: tuple[str, ...], meta: dict[str, Any], path: Path) -> None:
    """A model that reads only ``groups``' features: silent whenever none of them is worn."""
    from models.export import Additive, write_model

    keep = [f for f in FEATURES if f.group in groups]
    membership = np.array([[f.group == g for g in GROUPS] for f in keep], dtype=np.float64)
    m = Additive("logistic", 0.0, np.zeros(len(GROUPS)), membership, coef=np.full(len(keep), 0.5))
    fields = {**meta, "kind": "logistic", "features": [f.name for f in keep],
              "units": [u for f, u in zip(meta["features"], meta["units"], strict=True) if f in {k.name for k in keep}],
              "groups": [f.group for f in keep]}
    write_model(path, m, ModelMetadata.model_validate(fields))


def make_variant(dst: Path, label: str, *, groups: tuple[str, ...] | None = None,
                 meta: Callable[[dict[str, Any]], None] | None = None,
                 graph: Callable[[onnx.ModelProto], None] | None = None,
                 pad_bytes: int = 0) -> Path:
    """Copy the packaged model into ``dst`` with model_version ``label`` (only ``groups``' features); alter it."""
    dst.mkdir(parents=True, exist_ok=True)
    for src in sorted(packaged_model_dir().glob("*.onnx")):
        model = onnx.load(str(src))
        m = _meta(model)
        m["model_version"] = label
        if groups is not None:
            _only(groups, m, dst / src.name)
            model = onnx.load(str(dst / src.name))
            m = _meta(model)
        if meta is not None:
            meta(m)
        helper.set_model_props(model, {METADATA_KEY: json.dumps(m)})
        if graph is not None:
            graph(model)
        if pad_bytes:  # an unused initializer: a big model onnxruntime really loads
            rng = np.random.default_rng(7)
            pad = rng.standard_normal(pad_bytes // 4).astype(np.float32)
            model.graph.initializer.append(numpy_helper.from_array(pad, "padding"))
        onnx.save_model(model, str(dst / src.name))
    return dst


def nan_on_data(model: onnx.ModelProto) -> None:
    """sqrt(-z²) added to the usable mask: finite at the baseline (z = 0), NaN as soon as a feature leaves
    it. Through the mask, not z, because a binned model compares z with its edges, and a comparison with
    NaN is simply false: the NaN would never reach the output."""
    g = model.graph
    for node in g.node:
        node.input[:] = ["usable_nan" if i == "usable" else i for i in node.input]
    g.node.insert(0, helper.make_node("Add", ["usable", "z_sqrt"], ["usable_nan"]))
    g.node.insert(0, helper.make_node("Sqrt", ["z_neg_sq"], ["z_sqrt"]))
    g.node.insert(0, helper.make_node("Neg", ["z_sq"], ["z_neg_sq"]))
    g.node.insert(0, helper.make_node("Mul", [INPUT, INPUT], ["z_sq"]))


def nan_everywhere(model: onnx.ModelProto) -> None:
    """z / z added to the usable mask: NaN even on the baseline, so the test-load's probe refuses it
    (through the mask, as in :func:`nan_on_data`)."""
    g = model.graph
    for node in g.node:
        node.input[:] = ["usable_nan" if i == "usable" else i for i in node.input]
    g.node.insert(0, helper.make_node("Add", ["usable", "z_nan"], ["usable_nan"]))
    g.node.insert(0, helper.make_node("Div", [INPUT, INPUT], ["z_nan"]))


def corrupt_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path)
