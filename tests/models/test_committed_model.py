"""The committed model, replayed by the serving code, decides exactly as evaluation.json says."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from agent.core.baseline import BaselineOptions
from agent.core.policy import PolicyOptions
from models.check import committed_check, replay_lines
from models.fit import COMMITTED
from models.loso import config_for
from models.nested import COMPARED, GRID
from models.train import OUT


def test_the_committed_model_replays_to_the_recorded_decisions():
    recorded = json.loads((OUT / "evaluation.json").read_text())
    check = recorded["check"]
    text = replay_lines(None, check["recording"])  # the packaged model, as `edge-agent replay` loads it
    assert text.count("\n") == check["ticks"]
    assert hashlib.sha256(text.encode()).hexdigest() == check["sha256"]  # the same decisions, tick for tick
    assert committed_check(None) == check


def test_the_agent_runs_the_deployed_candidate_by_default():
    """Training chose the anchoring constant with the model kind; the agent's default must be that value."""
    recorded = json.loads((OUT / "evaluation.json").read_text())
    deployed = recorded["deployed"]
    assert BaselineOptions().anchor_tau_s == deployed["anchor_tau_s"]
    assert config_for().top.baseline.anchor_tau_s == deployed["anchor_tau_s"]
    assert BaselineOptions().skin_anchor_tau_s == deployed["skin_anchor_tau_s"]  # trained with the agent's own
    assert BaselineOptions().skin_anchor_heart_s == deployed["skin_anchor_heart_s"]
    assert PolicyOptions().eeg_alone_tau_s == deployed["eeg_alone_tau_s"]
    assert PolicyOptions().windowed_rise_share == deployed["windowed_rise_share"]
    assert deployed["recipe"] == asdict(COMMITTED)  # the draw and regularisation a training uses by default
    assert recorded["kind"] == deployed["kind"]
    candidates = recorded["candidates"]
    assert set(candidates) == {c.label for c in COMPARED}  # every model of the declared grid was evaluated
    assert {k for k, v in candidates.items() if v["candidate"]} == {c.label for c in GRID}
    best = max((v for v in candidates.values() if v["candidate"]), key=lambda v: v["criterion"])
    assert (best["kind"], best["anchor_tau_s"]) == (deployed["kind"], deployed["anchor_tau_s"])
    nested = recorded["nested"]
    assert sum(nested["chosen_counts"].values()) == sum(e["subjects"] for e in nested["figures"].values())
