"""One subject replayed with the committed model: the figure a test holds the serving code to.

``evaluation.json`` records, for WESAD S5 replayed with the committed model
exactly as ``edge-agent replay`` runs it, the SHA-256 of the JSON lines and
the macro-F1 they give; ``tests/models/test_committed_model.py`` replays it
again with the packaged model and must get the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from agent.base.datasets import data_root
from agent.replay import build_core, open_recorded, replay
from models.datasets import DATASETS
from models.loso import classify, config_for, metrics

CHECK_RECORDING = "wesad-wrist/S5_wrist.npz"


def replay_lines(model_dir: Path | None, recording: str = CHECK_RECORDING, settings: str | None = None) -> str:
    """``recording`` replayed with the model in ``model_dir`` (None: the packaged one) and the agent's
    ``settings`` (None: the evaluation's, ``models.loso.SETTINGS``)."""
    config = config_for(model_dir, text=settings)
    out = io.StringIO()
    replay(config, open_recorded(data_root() / recording), out, core=build_core(config))
    return out.getvalue()


def committed_check(model_dir: Path | None, settings: str | None = None) -> dict[str, object]:
    text = replay_lines(model_dir, settings=settings)
    y, p, _ = classify([json.loads(x) for x in text.splitlines()], DATASETS["wesad"])
    return {"recording": CHECK_RECORDING, "ticks": text.count("\n"),
            "sha256": hashlib.sha256(text.encode()).hexdigest(), "macro_f1": metrics(y, p)["macro_f1"]}
