"""The built-in ONNX evaluator: onnxruntime's answers without onnxruntime, and onnxruntime for anything else.

onnxruntime is the reference throughout: each operator and every exported
model kind is run by both on the same inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from agent.core.model import graph, onnx_file
from agent.core.model.metadata import OUTPUTS
from agent.core.model.runtime import DistressModel, packaged_model_dir
from agent.errors import ModelError
from models.export import write_model
from tests.agent.model.test_runtime import F, meta, model_of

PACKAGED = next(packaged_model_dir().glob("*.onnx"))
FLOAT, INT64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def one_node(op: str, inputs: dict[str, np.ndarray], out_type: int, consts: dict[str, np.ndarray] | None = None,
             *, consts_first: bool = False, **attrs: object) -> onnx.ModelProto:
    """A graph of one ``op`` node: ``inputs`` fed at run time, ``consts`` as initialisers (``skip…``: omitted)."""
    consts = consts or {}
    names = [*consts, *inputs] if consts_first else [*inputs, *consts]
    types = {np.dtype("float32"): FLOAT, np.dtype("int64"): INT64, np.dtype("bool"): BOOL}
    g = helper.make_graph(
        [helper.make_node(op, [n if not n.startswith("skip") else "" for n in names], ["y"], **attrs)], "t",
        [helper.make_tensor_value_info(n, types[a.dtype], list(a.shape)) for n, a in inputs.items()],
        [helper.make_tensor_value_info("y", out_type, None)],
        initializer=[numpy_helper.from_array(a, n) for n, a in consts.items() if not n.startswith("skip")],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def both(model: onnx.ModelProto, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    data = model.SerializeToString()
    ours = graph.Graph(onnx_file.read(data)).run(["y"], feed)[0]
    theirs = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(["y"], feed)[0]
    return ours, theirs


RNG = np.random.default_rng(11)
X = np.concatenate([RNG.normal(size=40) * 30, [0.0, -0.0, np.nan, np.inf, -np.inf, 88.7, -88.7, 1e-30]]
                   ).astype(np.float32).reshape(6, 8)
Y = RNG.normal(size=(6, 8)).astype(np.float32)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Greater", "Less"])
def test_binary_operators_give_onnxruntime_s_bits(op):
    out_type = BOOL if op in ("Greater", "Less") else FLOAT
    ours, theirs = both(one_node(op, {"a": X, "b": Y[:1]}, out_type), {"a": X, "b": Y[:1]})  # broadcast too
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("op", ["Neg", "Abs", "Sqrt", "Identity", "Sigmoid"])
def test_unary_operators_agree_with_onnxruntime(op):
    ours, theirs = both(one_node(op, {"x": X}, FLOAT), {"x": X})
    assert ours.dtype == theirs.dtype == np.float32
    if op == "Sigmoid":  # onnxruntime's vectorised logistic is an approximation within a few float32 ulps
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
        assert np.isnan(ours).tolist() == np.isnan(theirs).tolist()
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_structural_operators_agree_with_onnxruntime():
    table = RNG.normal(size=30).astype(np.float32)
    idx = np.array([[0, 29, -1, 7]], dtype=np.int64)
    cases = [
        (one_node("Gather", {"idx": idx}, FLOAT, {"table": table}, consts_first=True, axis=0), {"idx": idx}),
        (one_node("Reshape", {"x": X}, FLOAT, {"shape": np.array([0, 2, -1], np.int64)}), {"x": X}),
        (one_node("ReduceSum", {"x": X}, FLOAT, {"axes": np.array([1], np.int64)}, keepdims=0), {"x": X}),
        (one_node("ReduceSum", {"x": X}, FLOAT, {"axes": np.array([0, 1], np.int64)}, keepdims=1), {"x": X}),
        (one_node("ReduceSum", {"x": X}, FLOAT), {"x": X}),
        (one_node("ReduceSum", {"x": idx}, INT64, {"axes": np.array([-1], np.int64)}), {"x": idx}),
        (one_node("Clip", {"x": X}, FLOAT, {"lo": np.array(-1, np.float32), "hi": np.array(2, np.float32)}), {"x": X}),
        (one_node("Clip", {"x": X}, FLOAT, {"skip": np.array(0, np.float32), "hi": np.array(2, np.float32)}), {"x": X}),
        (one_node("Cast", {"x": X > 0}, INT64, to=INT64), {"x": X > 0}),
        (one_node("MatMul", {"a": Y}, FLOAT, {"b": RNG.normal(size=(8, 3)).astype(np.float32)}), {"a": Y}),
    ]
    for model, feed in cases:
        ours, theirs = both(model, feed)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, model.graph.node[0]
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=str(model.graph.node[0]))  # sums: order


@pytest.mark.parametrize("kind", ["packaged", "logistic", "gam", "ensemble"])
def test_every_model_kind_scores_as_onnxruntime_scores_it(tmp_path, kind):
    """Terms are bit for bit (a product or a table entry); the logit differs only by the order of its float32
    sum, so by at most n ulps of the sum of the terms' sizes, and the probability by a quarter of that."""
    path = PACKAGED
    if kind != "packaged":
        rng = np.random.default_rng(3)
        m = model_of(kind, rng)
        path = tmp_path / "distress.onnx"
        write_model(path, m, meta(kind=kind))
    model = DistressModel(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert model.engine == "numpy"
    rng = np.random.default_rng(5)
    for _ in range(500):
        usable = (rng.random(F) < rng.random()).astype(np.float32)
        z = np.where(usable > 0, rng.normal(size=F) * rng.choice([0.3, 3.0, 30.0]), 0).astype(np.float32)
        prob, logit, terms = model.run(z, usable)
        want = session.run(list(OUTPUTS), {"z": z[None], "usable": usable[None]})
        np.testing.assert_array_equal(terms, want[2][0])
        bound = (F + 3) * float(np.finfo(np.float32).eps) * (float(np.abs(terms).sum()) + 3 * abs(logit) + 1)
        assert abs(logit - float(want[1][0, 0])) <= bound
        assert abs(prob - float(want[0][0, 0])) <= bound / 4 + 1e-7


def test_the_reader_sees_what_the_onnx_package_sees():
    ours = onnx_file.read(PACKAGED.read_bytes())
    theirs = onnx.load(str(PACKAGED))
    assert ours.inputs == [i.name for i in theirs.graph.input] and ours.outputs == list(OUTPUTS)
    assert ours.opsets == {o.domain: o.version for o in theirs.opset_import}
    assert ours.metadata == {p.key: p.value for p in theirs.metadata_props}
    assert [(n.op_type, n.inputs, n.outputs) for n in ours.nodes] == \
        [(n.op_type, tuple(n.input), tuple(n.output)) for n in theirs.graph.node]
    assert [n.attributes for n in ours.nodes] == [{a.name: helper.get_attribute_value(a) for a in n.attribute}
                                                  for n in theirs.graph.node]
    for t in theirs.graph.initializer:
        want = numpy_helper.to_array(t)
        assert ours.initializers[t.name].dtype == want.dtype and ours.initializers[t.name].shape == want.shape
        np.testing.assert_array_equal(ours.initializers[t.name], want)
    assert ours.unsupported == []


def test_initialisers_stored_as_typed_lists_read_as_raw_ones_do():
    floats, ints = [1.5, -2.25, np.inf, 0.0], [3, -7, 2**40, 0]
    g = helper.make_graph(
        [helper.make_node("Identity", ["f"], ["y"])], "t", [], [helper.make_tensor_value_info("y", FLOAT, None)],
        initializer=[helper.make_tensor("f", FLOAT, [2, 2], floats), helper.make_tensor("i", INT64, [4], ints),
                     helper.make_tensor("b", BOOL, [2], [True, False])])
    read = onnx_file.read(helper.make_model(g).SerializeToString())
    np.testing.assert_array_equal(read.initializers["f"], np.array(floats, np.float32).reshape(2, 2))
    assert read.initializers["i"].tolist() == ints and read.initializers["b"].tolist() == [True, False]


def test_a_graph_with_other_operators_goes_to_onnxruntime_and_says_why(tmp_path):
    model = onnx.load(str(PACKAGED))
    g = model.graph  # logit -> Tanh -> Mul by 0 -> added back: the same answers, through an operator we lack
    g.node.extend([helper.make_node("Tanh", ["logit"], ["t"]), helper.make_node("Mul", ["t", "zero"], ["t0"]),
                   helper.make_node("Add", ["t0", "bias"], ["unused"])])
    onnx.save_model(model, str(tmp_path / "distress.onnx"))
    with structlog.testing.capture_logs() as logs:
        fallback = DistressModel(tmp_path / "distress.onnx")
    assert fallback.engine == "onnxruntime"
    assert [e["unsupported"] for e in logs if e["event"] == "model_needs_onnxruntime"] == [["operator Tanh"]]
    z, usable = np.linspace(-3, 3, F).astype(np.float32), np.ones(F, np.float32)
    assert fallback.run(z, usable)[0] == pytest.approx(DistressModel(PACKAGED).run(z, usable)[0], abs=1e-6)


def test_the_packaged_model_runs_without_onnxruntime_in_the_process():
    probe = (
        "import importlib.abc, json, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.partition('.')[0] == 'onnxruntime': raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from agent.core.model.runtime import DistressModel\n"
        "m = DistressModel.load()\n"
        "n = len(m.meta.features)\n"
        "p = m.run(np.full(n, 2, np.float32), np.ones(n, np.float32))[0]\n"
        "print(json.dumps([m.engine, p, sorted(k for k in sys.modules if k.startswith('onnxruntime'))]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    engine, p, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert engine == "numpy" and 0 < p < 1 and loaded == []


def test_the_protobuf_reader_decodes_the_specification_s_example():
    # protobuf's encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67
    assert list(onnx_file._fields(memoryview(bytes.fromhex("089601")))) == [(1, 0, 150)]
    [(number, wire, value)] = onnx_file._fields(memoryview(bytes.fromhex("120774657374696e67")))
    assert (number, wire, bytes(value)) == (2, 2, b"testing")
    assert onnx_file._ints(0, (1 << 64) - 1) == [-1]  # int64 -1 travels as ten bytes of two's complement


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_or_foreign_bytes_give_a_model_error_and_nothing_else(data):
    good = PACKAGED.read_bytes()
    how = data.draw(st.sampled_from(["truncate", "flip", "random"]))
    if how == "truncate":
        blob = good[:data.draw(st.integers(0, len(good) - 1))]
    elif how == "flip":
        at = data.draw(st.lists(st.integers(0, len(good) - 1), min_size=1, max_size=4))
        blob = bytearray(good)
        for i in at:
            blob[i] ^= data.draw(st.integers(1, 255))
        blob = bytes(blob)
    else:
        blob = data.draw(st.binary(max_size=400))
    try:
        model = onnx_file.read(blob)
        if not graph.unsupported(model):
            g = graph.Graph(model)
            g.run(g.outputs, {"z": np.ones((1, F), np.float32), "usable": np.ones((1, F), np.float32)})
    except ModelError:
        pass  # a typed error naming the problem; anything else would escape the agent's handling


@pytest.mark.parametrize("op", sorted(graph.REQUIRED))
def test_a_node_without_a_required_operand_is_refused_at_load(op):
    # a flipped byte once emptied an Add's second input name (ONNX's "omitted") and the run failed on an assert
    model = onnx_file.read(PACKAGED.read_bytes())
    omitted_last = ("z",) * (graph.REQUIRED[op] - 1) + ("",)
    model.nodes.append(onnx_file.Node(op, omitted_last, ("extra",), {}))
    with pytest.raises(ModelError, match=f"node {op} has inputs"):
        graph.Graph(model)
    assert set(graph.REQUIRED) == set(graph.OPS)  # every operator the evaluator runs says what it needs


def test_a_truncated_model_file_is_refused_at_load_with_its_path(tmp_path: Path):
    (tmp_path / "distress.onnx").write_bytes(PACKAGED.read_bytes()[:300])
    with pytest.raises(ModelError, match=r"distress\.onnx: cannot load the model \("):
        DistressModel.load(tmp_path)


def test_a_graph_whose_outputs_have_the_wrong_shape_is_refused_at_load(tmp_path: Path):
    model = onnx.load(str(PACKAGED))
    for node in model.graph.node:  # the probability over every feature's term instead of one number
        if node.op_type == "Sigmoid":
            node.input[0] = "contributions"
    onnx.save_model(model, str(tmp_path / "distress.onnx"))
    with pytest.raises(ModelError, match=r"distress\.onnx: the graph does not run \("):
        DistressModel.load(tmp_path)
