"""Write a trained model as a small ONNX graph with the agent's metadata.

The graph is built by hand, not converted, so that it returns each feature's
exact term in the logit next to the probability: those terms are the reasons
the agent gives. Three additive forms share the contract of
``agent.core.model.metadata``:

- ``logistic``: ``term_j = w_j * z_j``;
- ``gam`` (and ``boosted``): ``term_j = table_j[bin_j(z_j)]``, a shape function per feature
  learned on quantile bins (what an Explainable Boosting Machine's main
  effects are), looked up with one Greater/ReduceSum/Gather over every feature
  at once;
- ``ensemble`` (the mean of several additive models, :func:`models.fit.ensemble`):
  ``term_j = w_j * z_j + table_j[bin_j(z_j)]``, both of the above.

Either way a feature that is not usable contributes nothing, and each sensor
group that is present adds its own offset (``presence`` terms), so the model
knows which sensors it is listening to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from agent.core.model.metadata import METADATA_KEY, ModelMetadata

OPSET = 17


@dataclass(frozen=True)
class Additive:
    """An additive model over F features and G sensor groups."""

    kind: str
    intercept: float
    presence: np.ndarray  # (G,) offset added when a group has any usable feature
    membership: np.ndarray  # (F, G) 1 where feature j belongs to group g
    coef: np.ndarray | None = None  # (F,) a weight per feature (logistic, ensemble)
    edges: np.ndarray | None = None  # (F, M) bin edges per feature, padded with +inf (gam, boosted, ensemble)
    table: np.ndarray | None = None  # (F, M + 1) term per bin

    def __post_init__(self) -> None:
        if self.coef is None and self.table is None:
            raise ValueError(f"{self.kind}: an additive model needs weights, a binned table or both")
        if (self.edges is None) != (self.table is None):
            raise ValueError(f"{self.kind}: a binned table needs its edges")

    def terms(self, z: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """(n, F) the exact terms the ONNX graph computes (training and tests use this twin)."""
        t = np.zeros(z.shape)
        if self.coef is not None:
            t = t + z * self.coef
        if self.edges is not None and self.table is not None:
            bins = (z[:, :, None] > self.edges[None, :, :]).sum(axis=2)
            t = t + self.table[np.arange(z.shape[1])[None, :], bins]
        return np.where(usable, t, 0.0)

    def logit(self, z: np.ndarray, usable: np.ndarray) -> np.ndarray:
        present = np.minimum(usable.astype(np.float64) @ self.membership, 1.0)
        return self.terms(z, usable).sum(axis=1) + present @ self.presence + self.intercept


def _const(name: str, a: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(a, name)


def model_graph(m: Additive, meta: ModelMetadata) -> onnx.ModelProto:
    f = len(meta.features)
    inits = [
        _const("membership", m.membership.astype(np.float32)),
        _const("presence", m.presence.astype(np.float32).reshape(-1, 1)),
        _const("bias", np.array([[m.intercept]], dtype=np.float32)),
        _const("one", np.array(1.0, dtype=np.float32)),
        _const("zero", np.array(0.0, dtype=np.float32)),
        _const("axis1", np.array([1], dtype=np.int64)),
    ]
    nodes = []
    both = m.coef is not None and m.table is not None
    if m.coef is not None:
        inits.append(_const("w", m.coef.astype(np.float32).reshape(1, f)))
        nodes.append(helper.make_node("Mul", ["z", "w"], ["linear" if both else "raw"]))
    if m.edges is not None and m.table is not None:
        k = m.table.shape[1]
        inits += [
            _const("edges", m.edges.astype(np.float32)),  # (F, M)
            _const("table", m.table.astype(np.float32).reshape(-1)),  # (F * k,)
            _const("offsets", (np.arange(f, dtype=np.int64) * k).reshape(1, f)),
            _const("axis2", np.array([2], dtype=np.int64)),
            _const("zshape", np.array([1, f, 1], dtype=np.int64)),
        ]
        nodes += [
            helper.make_node("Reshape", ["z", "zshape"], ["z3"]),  # (1, F, 1) against edges (F, M)
            helper.make_node("Greater", ["z3", "edges"], ["above"]),
            helper.make_node("Cast", ["above"], ["above_i"], to=TensorProto.INT64),
            helper.make_node("ReduceSum", ["above_i", "axis2"], ["bins"], keepdims=0),  # (1, F)
            helper.make_node("Add", ["bins", "offsets"], ["flat"]),
            helper.make_node("Gather", ["table", "flat"], ["shape" if both else "raw"], axis=0),
        ]
    if both:
        nodes.append(helper.make_node("Add", ["linear", "shape"], ["raw"]))
    nodes += [
        helper.make_node("Mul", ["raw", "usable"], ["contributions"]),
        helper.make_node("ReduceSum", ["contributions", "axis1"], ["weighted"], keepdims=1),
        helper.make_node("MatMul", ["usable", "membership"], ["counts"]),  # usable features per group
        helper.make_node("Clip", ["counts", "zero", "one"], ["present"]),
        helper.make_node("MatMul", ["present", "presence"], ["offset"]),
        helper.make_node("Add", ["weighted", "offset"], ["partial"]),
        helper.make_node("Add", ["partial", "bias"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes, "distress",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, f]),
         helper.make_tensor_value_info("usable", TensorProto.FLOAT, [1, f])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, 1]),
         helper.make_tensor_value_info("logit", TensorProto.FLOAT, [1, 1]),
         helper.make_tensor_value_info("contributions", TensorProto.FLOAT, [1, f])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vr-edge-agent")
    model.ir_version = 8  # readable by onnxruntime >= 1.14
    model.model_version = 2
    model.doc_string = f"Distress model ({m.kind}) over every sensor group, baseline z-scores in; see the model card."
    helper.set_model_props(model, {METADATA_KEY: meta.to_json()})
    onnx.checker.check_model(model, full_check=True)
    return model


def write_model(path: Path, m: Additive, meta: ModelMetadata) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save_model(model_graph(m, meta), tmp)
    tmp.replace(path)
