"""The committed model, replayed by the serving code, decides exactly as evaluation.json says."""

from __future__ import annotations

import hashlib
import json

from models.check import committed_check, replay_lines
from models.train import OUT


def test_the_committed_model_replays_to_the_recorded_decisions():
    recorded = json.loads((OUT / "evaluation.json").read_text())
    check = recorded["check"]
    text = replay_lines(None, check["recording"])  # the packaged model, as `edge-agent replay` loads it
    assert text.count("\n") == check["ticks"]
    assert hashlib.sha256(text.encode()).hexdigest() == check["sha256"]  # the same decisions, tick for tick
    assert committed_check(None) == check
