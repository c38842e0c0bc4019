"""The distress model's runtime (``runtime``, which imports onnxruntime) and its metadata contract.

This package module stays light: configuration loads ``ModelOptions``
without paying for onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

import pydantic


class ModelOptions(pydantic.BaseModel):
    """``[model]``: which distress model heads to load."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    dir: Path | None = pydantic.Field(None, description="folder of *.onnx heads; default: the packaged models")
