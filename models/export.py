"""Write a trained head as a small ONNX graph with the agent's metadata.

The graph is built by hand from the logistic regression's coefficients, not
converted with skl2onnx, so that it can return each feature's contribution
to the logit (``z * w``) next to the probability: those contributions are
the reasons the agent gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from agent.model.metadata import INPUT, METADATA_KEY, HeadMetadata

OPSET = 17


def head_graph(coef: np.ndarray, intercept: float, meta: HeadMetadata) -> onnx.ModelProto:
    k = len(meta.features)
    assert coef.shape == (k,), (coef.shape, k)
    w = numpy_helper.from_array(coef.astype(np.float32).reshape(1, k), "w")
    b = numpy_helper.from_array(np.array([[intercept]], dtype=np.float32), "b")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("Mul", [INPUT, "w"], ["contributions"]),
        helper.make_node("ReduceSum", ["contributions", "axes"], ["weighted"], keepdims=1),
        helper.make_node("Add", ["weighted", "b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes, f"distress_{meta.group}",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [1, k])],
        [
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, 1]),
            helper.make_tensor_value_info("logit", TensorProto.FLOAT, [1, 1]),
            helper.make_tensor_value_info("contributions", TensorProto.FLOAT, [1, k]),
        ],
        initializer=[w, b, axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vr-edge-agent")
    model.ir_version = 8  # readable by onnxruntime >= 1.14
    model.model_version = 1
    model.doc_string = f"Distress head for the {meta.group} features, baseline z-scores in; see the model card."
    helper.set_model_props(model, {METADATA_KEY: meta.to_json()})
    onnx.checker.check_model(model, full_check=True)
    return model


def write_head(path: Path, coef: np.ndarray, intercept: float, meta: HeadMetadata) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save_model(head_graph(coef, intercept, meta), tmp)
    tmp.replace(path)
