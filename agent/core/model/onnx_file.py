"""Read an ONNX file (protobuf) into plain Python: nodes, initialisers, inputs, outputs, metadata.

Why not the ``onnx`` package or onnxruntime: the design brief gives the agent
80 MB of RAM, and onnxruntime alone takes about 26 MB of it (its library's
pages and a session) to run a graph of a dozen nodes over 23 numbers. This
reader covers the protobuf wire format and the parts of ``onnx.proto`` a
model's graph is made of; :mod:`agent.core.model.graph` evaluates it. Any
field it does not know is skipped, as protobuf itself does; anything it
cannot represent (external data, subgraphs, sparse initialisers) is named in
``OnnxModel.unsupported`` so the caller can hand the file to onnxruntime.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.errors import ModelError

# TensorProto.DataType -> numpy dtype (little-endian, as raw_data is stored)
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("u1"), 3: np.dtype("i1"), 6: np.dtype("<i4"),
    7: np.dtype("<i8"), 9: np.dtype("?"), 11: np.dtype("<f8"),
}


class OnnxFormatError(ModelError):
    """The bytes are not a well-formed ONNX model."""


@dataclass(frozen=True)
class Node:
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: dict[str, Any]
    domain: str = ""


@dataclass
class OnnxModel:
    nodes: list[Node] = field(default_factory=list)
    initializers: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)  # graph inputs that are not initialisers
    outputs: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    opsets: dict[str, int] = field(default_factory=dict)  # domain ("" = the default) -> version
    unsupported: list[str] = field(default_factory=list)  # what this reader saw but cannot represent


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise OnnxFormatError("truncated or overlong varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value): an int for varints and fixed fields, a memoryview for bytes."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if i + size > len(buf):
                raise OnnxFormatError("truncated fixed-width field")
            value, i = buf[i:i + size], i + size
        elif wire == 2:
            size, i = _varint(buf, i)
            if i + size > len(buf):
                raise OnnxFormatError("a field runs past the end of its message")
            value, i = buf[i:i + size], i + size
        else:
            raise OnnxFormatError(f"wire type {wire} (groups) is not used by ONNX")
        if number == 0:
            raise OnnxFormatError("field number 0")
        yield number, wire, value


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(wire: int, value: Any) -> list[int]:
    """A repeated integer field's values, whether the writer packed them or not."""
    if wire == 0:
        return [_signed(value)]
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(_signed(v))
    return out


def _text(value: memoryview) -> str:
    try:
        return bytes(value).decode()
    except UnicodeDecodeError as exc:
        raise OnnxFormatError("a name is not UTF-8") from exc


def _tensor(buf: memoryview, model: OnnxModel) -> tuple[str, np.ndarray | None]:
    dims: list[int] = []
    name, dtype_code, raw = "", 1, None
    typed: dict[int, list[Any]] = {}
    for number, wire, value in _fields(buf):
        if number == 1:
            dims += _ints(wire, value)
        elif number == 2:
            dtype_code = value
        elif number == 8:
            name = _text(value)
        elif number == 9:
            raw = bytes(value)
        elif number in (4, 10) and wire in (1, 2, 5):  # float_data, double_data (packed or not)
            typed.setdefault(number, []).append(bytes(value))
        elif number in (5, 7, 11):  # int32_data, int64_data, uint64_data
            typed.setdefault(number, []).extend(_ints(wire, value))
        elif number == 14 and value == 1:  # data_location = EXTERNAL
            model.unsupported.append(f"initializer {name or '?'} stored outside the file")
    dtype = DTYPES.get(dtype_code)
    if dtype is None:
        model.unsupported.append(f"initializer {name} of ONNX data type {dtype_code}")
        return name, None
    if raw is not None:
        flat = np.frombuffer(raw, dtype=dtype)
    elif 4 in typed or 10 in typed:
        flat = np.frombuffer(b"".join(typed.get(4, typed.get(10, []))), dtype="<f4" if 4 in typed else "<f8")
    else:
        flat = np.array(typed.get(5, typed.get(7, typed.get(11, []))), dtype=np.int64)
    count = int(np.prod(dims)) if dims else 1
    if flat.size != count:
        raise OnnxFormatError(f"initializer {name}: {flat.size} values for shape {dims}")
    return name, flat.astype(dtype).reshape(dims)


def _attribute(buf: memoryview, model: OnnxModel) -> tuple[str, Any]:
    name, value_of = "", None
    ints: list[int] = []
    floats: list[float] = []
    for number, wire, value in _fields(buf):
        if number == 1:
            name = _text(value)
        elif number == 2:
            value_of = struct.unpack("<f", value)[0]
        elif number == 3:
            value_of = _signed(value)
        elif number == 4:
            value_of = bytes(value)
        elif number == 5:
            value_of = _tensor(value, model)[1]
        elif number == 7:
            floats += ([struct.unpack("<f", value)[0]] if wire == 5 else
                       np.frombuffer(bytes(value), "<f4").tolist())
        elif number == 8:
            ints += _ints(wire, value)
        elif number in (6, 11):
            model.unsupported.append(f"attribute {name or '?'} holds a subgraph")
    if value_of is None and (ints or floats):
        value_of = ints or floats
    return name, value_of


def _node(buf: memoryview, model: OnnxModel) -> Node:
    inputs, outputs, attributes, op, domain = [], [], {}, "", ""
    for number, _, value in _fields(buf):
        if number == 1:
            inputs.append(_text(value))
        elif number == 2:
            outputs.append(_text(value))
        elif number == 4:
            op = _text(value)
        elif number == 5:
            key, attr = _attribute(value, model)
            attributes[key] = attr
        elif number == 7:
            domain = _text(value)
    return Node(op, tuple(inputs), tuple(outputs), attributes, domain)


def _value_name(buf: memoryview) -> str:
    return next((_text(v) for n, _, v in _fields(buf) if n == 1), "")


def _graph(buf: memoryview, model: OnnxModel) -> None:
    declared_inputs = []
    for number, _, value in _fields(buf):
        if number == 1:
            model.nodes.append(_node(value, model))
        elif number == 5:
            name, array = _tensor(value, model)
            if array is not None:
                model.initializers[name] = array
        elif number == 11:
            declared_inputs.append(_value_name(value))
        elif number == 12:
            model.outputs.append(_value_name(value))
        elif number == 15:
            model.unsupported.append("sparse initializers")
    model.inputs = [n for n in declared_inputs if n not in model.initializers]


def read(data: bytes) -> OnnxModel:
    """The model in ``data``; :class:`OnnxFormatError` when the bytes are not a well-formed ONNX model."""
    model = OnnxModel()
    graphs = 0
    try:
        for number, _, value in _fields(memoryview(data)):
            if number == 7:
                graphs += 1
                _graph(value, model)
            elif number == 8:
                entry = {n: v for n, _, v in _fields(value)}
                version = entry.get(2, 0)
                model.opsets[_text(entry[1]) if 1 in entry else ""] = version if isinstance(version, int) else -1
            elif number == 14:
                entry = {n: _text(v) for n, w, v in _fields(value) if w == 2}
                model.metadata[entry.get(1, "")] = entry.get(2, "")
    except OnnxFormatError:
        raise
    except (ValueError, TypeError, struct.error) as exc:  # wrong wire types inside a message
        raise OnnxFormatError(f"not a well-formed ONNX model ({exc})") from exc
    if graphs != 1 or not model.outputs:
        raise OnnxFormatError("not an ONNX model: no graph with outputs")
    return model
