"""The distress model's runtime (``runtime``, which imports onnxruntime) and its metadata contract.

This package module stays light: configuration loads ``ModelOptions``
without paying for onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

import pydantic


class ModelOptions(pydantic.BaseModel):
    """``[model]``: which distress model to load."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    dir: Path | None = pydantic.Field(None, description="folder holding one exported *.onnx model; default: the packaged model")
