"""The distress model: its runtime (``runtime``), the ONNX reader and evaluator it runs the graph
with (``onnx_file``, ``graph``), the onnxruntime fallback (``ort_session``), and its metadata contract.

This package module stays light: configuration loads ``ModelOptions``
without paying for numpy or a model.
"""

from __future__ import annotations

from pathlib import Path

import pydantic


class ModelOptions(pydantic.BaseModel):
    """``[model]``: which distress model to load."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    dir: Path | None = pydantic.Field(None, description="folder holding one exported *.onnx model; default: the packaged model")
