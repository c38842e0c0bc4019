"""A model graph run by onnxruntime: for a model whose graph the built-in evaluator does not cover.

The packaged model never needs it (:mod:`agent.core.model.graph` runs it);
a model update with other operators does, at the price of onnxruntime's
memory. This is the one module that imports onnxruntime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

from agent.errors import ModelError


class OrtGraph:
    engine = "onnxruntime"

    def __init__(self, path: Path) -> None:
        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # one tiny vector a tick: threads only cost start-up and memory
            options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable files
            raise ModelError(f"{path}: cannot load the model ({exc})", source=str(path), field="model") from exc
        self.inputs = tuple(i.name for i in self.session.get_inputs())
        self.outputs = tuple(o.name for o in self.session.get_outputs())
        self.metadata: Mapping[str, str] = self.session.get_modelmeta().custom_metadata_map

    def run(self, outputs: Sequence[str], feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        try:
            return list(self.session.run(list(outputs), dict(feed)))
        except Exception as exc:  # onnxruntime's untyped run-time errors (shapes, types)
            raise ModelError(f"onnxruntime: {exc}") from exc
