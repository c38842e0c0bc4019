"""Where the shared physiological recordings live (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """``$EDGE_AGENT_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("EDGE_AGENT_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"
