"""Evaluate a small ONNX graph with numpy: the operators the model exporter writes, and a few of their kin.

The distress model is an additive graph of a dozen nodes over 23 numbers
(``models/export.py``). Running it needs numpy, which the agent has loaded
anyway, rather than onnxruntime's 26 MB (see :mod:`agent.core.model.onnx_file`).
Each operator follows the ONNX specification for opsets 13 to 21: same-type
operands, numpy broadcasting (ONNX's multidirectional broadcasting is
numpy's), IEEE arithmetic with no warnings (0/0 is NaN, as onnxruntime
gives it). A graph with anything else is left to onnxruntime by the caller
(:func:`unsupported` names what).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from agent.core.model.onnx_file import DTYPES, Node, OnnxModel
from agent.errors import ModelError

OPSETS = range(13, 22)  # ReduceSum takes its axes as an input from 13 on; these operators are unchanged to 21
Args = Sequence["np.ndarray | None"]


def _same_type(node: Node, args: Args) -> None:
    kinds = {a.dtype for a in args if a is not None}
    if len(kinds) > 1:
        raise ModelError(f"{node.op_type}: operands of types {sorted(map(str, kinds))}; ONNX needs one type")


def _binary(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[Node, Args], np.ndarray]:
    def op(node: Node, args: Args) -> np.ndarray:
        if len(args) == 2 and args[0] is not None and args[1] is not None and args[0].dtype == args[1].dtype:
            return np.asarray(fn(args[0], args[1]))  # the usual case, without a set of types per call
        _same_type(node, args)
        a, b = args
        assert a is not None and b is not None
        return np.asarray(fn(a, b))
    return op


def _unary(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[Node, Args], np.ndarray]:
    def op(node: Node, args: Args) -> np.ndarray:
        assert args[0] is not None
        return np.asarray(fn(args[0])).astype(args[0].dtype, copy=False)
    return op


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # the two halves keep exp's argument non-positive: no overflow, the same value either way
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _reshape(node: Node, args: Args) -> np.ndarray:
    data, shape = args
    assert data is not None and shape is not None
    dims = shape.tolist() if shape.ndim == 1 else [int(d) for d in shape]  # tolist: Python ints, one call
    if not node.attributes.get("allowzero", 0):
        dims = [data.shape[i] if d == 0 else d for i, d in enumerate(dims)]  # 0 copies that dimension
    return data.reshape(dims)


def _reduce_sum(node: Node, args: Args) -> np.ndarray:
    data = args[0]
    assert data is not None
    axes = args[1] if len(args) > 1 else None
    keep = bool(node.attributes.get("keepdims", 1))
    if axes is None or axes.size == 0:
        if node.attributes.get("noop_with_empty_axes", 0):
            return data
        return np.add.reduce(data, axis=None, keepdims=keep, dtype=data.dtype)
    # np.add.reduce is what np.sum calls, without the wrapper that costs as much as the sum of 23 numbers
    axis = tuple(axes.tolist()) if axes.ndim == 1 else tuple(int(a) for a in axes)
    return np.add.reduce(data, axis=axis, keepdims=keep, dtype=data.dtype)


def _gather(node: Node, args: Args) -> np.ndarray:
    data, indices = args
    assert data is not None and indices is not None
    axis = int(node.attributes.get("axis", 0))
    size = data.shape[axis]
    # the reductions ndarray.min/max call, without their Python wrappers
    if indices.size and (np.minimum.reduce(indices, axis=None) < -size or np.maximum.reduce(indices, axis=None) >= size):
        raise ModelError(f"Gather: an index outside [-{size}, {size - 1}]")
    return np.take(data, indices.astype(np.int64), axis=axis)


def _clip(node: Node, args: Args) -> np.ndarray:
    _same_type(node, args)
    x, low, high = (list(args) + [None, None])[:3]
    assert x is not None
    limits = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
    # an omitted bound is the type's lowest or highest finite value (the specification's), so ±inf moves too
    low = np.asarray(limits.min, x.dtype) if low is None else low
    high = np.asarray(limits.max, x.dtype) if high is None else high
    return np.minimum(np.maximum(x, low), high)  # NaN stays NaN, as the specification's comparisons leave it


def _cast(node: Node, args: Args) -> np.ndarray:
    dtype = DTYPES.get(int(node.attributes.get("to", 0)))
    if dtype is None or args[0] is None:
        raise ModelError(f"Cast: to ONNX type {node.attributes.get('to')}, which this evaluator does not hold")
    return args[0].astype(dtype)


OPS: dict[str, Callable[[Node, Args], np.ndarray]] = {
    "Add": _binary(np.add), "Sub": _binary(np.subtract), "Mul": _binary(np.multiply), "Div": _binary(np.divide),
    "MatMul": _binary(np.matmul), "Greater": _binary(np.greater), "Less": _binary(np.less),
    "Neg": _unary(np.negative), "Abs": _unary(np.abs), "Sqrt": _unary(np.sqrt), "Sigmoid": _unary(_sigmoid),
    "Identity": _unary(lambda x: x), "Reshape": _reshape, "ReduceSum": _reduce_sum, "Gather": _gather,
    "Clip": _clip, "Cast": _cast,
}


# operands each operator cannot do without (the rest are optional: Clip's bounds, ReduceSum's axes); a node
# naming fewer (an empty name is ONNX's "omitted") is refused at load, not on the first tick
REQUIRED = {**dict.fromkeys(("Add", "Sub", "Mul", "Div", "MatMul", "Greater", "Less", "Reshape", "Gather"), 2),
            **dict.fromkeys(("Neg", "Abs", "Sqrt", "Sigmoid", "Identity", "ReduceSum", "Clip", "Cast"), 1)}


def unsupported(model: OnnxModel) -> list[str]:
    """What in ``model`` this evaluator cannot run (empty: it runs all of it)."""
    out = list(model.unsupported)
    for domain, version in model.opsets.items():
        if domain in ("", "ai.onnx") and version not in OPSETS:
            out.append(f"opset {version} (this evaluator follows opsets {OPSETS.start}-{OPSETS.stop - 1})")
        elif domain not in ("", "ai.onnx"):
            out.append(f"operator domain {domain!r}")
    for node in model.nodes:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS or len(node.outputs) != 1:
            out.append(f"operator {node.domain + '.' if node.domain else ''}{node.op_type}")
    return list(dict.fromkeys(out))


class Graph:
    """A checked graph: every node reads only what the inputs, the initialisers or an earlier node define."""

    engine = "numpy"

    def __init__(self, model: OnnxModel) -> None:
        defined = set(model.inputs) | set(model.initializers)
        for node in model.nodes:
            missing = [i for i in node.inputs if i and i not in defined]
            if missing:
                raise ModelError(f"node {node.op_type} reads {missing}, which nothing defines before it")
            required = REQUIRED.get(node.op_type, 0)
            if len(node.inputs) < required or not all(node.inputs[:required]):
                raise ModelError(f"node {node.op_type} has inputs {list(node.inputs)}; it needs {required}")
            defined.update(node.outputs)
        absent = [o for o in model.outputs if o not in defined]
        if absent:
            raise ModelError(f"the graph never computes its outputs {absent}")
        self.nodes = model.nodes
        # each node's operator looked up once, not on every run: the graph runs on most ticks
        self._steps = [(OPS.get(n.op_type), n, n.inputs, n.outputs[0]) for n in model.nodes]
        self.initializers = model.initializers
        self.inputs = tuple(model.inputs)
        self.outputs = tuple(model.outputs)
        self.metadata: Mapping[str, str] = model.metadata

    def run(self, outputs: Sequence[str], feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        values: dict[str, np.ndarray] = {**self.initializers, **feed}
        with np.errstate(all="ignore"):  # IEEE results, as onnxruntime gives them: NaN is the policy's to judge
            for op, node, inputs, output in self._steps:
                if op is None:
                    raise KeyError(node.op_type)  # as OPS[node.op_type] would: unsupported() names these first
                try:
                    values[output] = op(node, [values[i] if i else None for i in inputs])
                except ModelError:
                    raise
                except (ValueError, IndexError) as exc:  # shapes that do not fit, raised by numpy
                    raise ModelError(f"{node.op_type} ({', '.join(node.inputs)}): {exc}") from exc
        return [values[o] for o in outputs]
