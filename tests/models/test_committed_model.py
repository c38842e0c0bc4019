"""The committed model, replayed by the serving code, decides exactly as evaluation.json says."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict

import numpy as np

from agent.core.baseline import BaselineOptions
from agent.core.model.runtime import DistressModel
from agent.core.policy import PolicyOptions
from models.card import CONDITIONS, card_text
from models.check import committed_check, replay_lines
from models.fit import COMMITTED
from models.loso import config_for
from models.nested import DEPLOYED_KIND, compared
from models.train import OUT


def test_the_committed_model_replays_to_the_recorded_decisions():
    recorded = json.loads((OUT / "evaluation.json").read_text())
    check = recorded["check"]
    text = replay_lines(None, check["recording"])  # the packaged model, as `edge-agent replay` loads it
    assert text.count("\n") == check["ticks"]
    assert hashlib.sha256(text.encode()).hexdigest() == check["sha256"]  # the same decisions, tick for tick
    assert committed_check(None) == check


def test_the_agent_runs_the_deployed_candidate_by_default():
    """Training evaluates the deployed kind with the agent's defaults; evaluation.json must record them."""
    recorded = json.loads((OUT / "evaluation.json").read_text())
    deployed = recorded["deployed"]
    assert BaselineOptions().anchor_tau_s == deployed["anchor_tau_s"]
    assert config_for().top.baseline.anchor_tau_s == deployed["anchor_tau_s"]
    assert BaselineOptions().skin_anchor_tau_s == deployed["skin_anchor_tau_s"]  # trained with the agent's own
    assert BaselineOptions().skin_anchor_heart_s == deployed["skin_anchor_heart_s"]
    assert BaselineOptions().skin_anchor_heart_margin == deployed["skin_anchor_heart_margin"]
    assert PolicyOptions().eeg_alone_tau_s == deployed["eeg_alone_tau_s"]
    assert PolicyOptions().windowed_rise_share == deployed["windowed_rise_share"]
    assert deployed["recipe"] == asdict(COMMITTED)  # the draw and regularisation a training uses by default
    assert recorded["kind"] == deployed["kind"]
    assert deployed["kind"] == DEPLOYED_KIND
    candidates = recorded["candidates"]
    # every kind was evaluated, at the agent's own anchoring constant
    assert set(candidates) == {c.label for c in compared(BaselineOptions().anchor_tau_s)}
    assert [(v["kind"], v["anchor_tau_s"]) for v in candidates.values() if v["deployed"]] == \
        [(deployed["kind"], deployed["anchor_tau_s"])]
    every = recorded["nested_every_kind"]
    assert sum(every["chosen_counts"].values()) == sum(e["subjects"] for e in every["figures"].values())


_TERM = re.compile(r"\| `(\w+)` \| [^|]* \| \w+ \| ([+-]\d+\.\d+) per baseline spread, plus from ([+-]\d+\.\d+) to ([+-]\d+\.\d+) over its bins \|")


def test_the_committed_card_is_what_training_writes_from_the_committed_files():
    """The card is rendered from evaluation.json and the model; a hand edit, or one section rendered anew
    without the rest, would leave it saying what the training no longer writes."""
    card = (OUT / "distress.md").read_text()
    evaluation = json.loads((OUT / "evaluation.json").read_text())
    model = DistressModel.load()
    lines = card.splitlines()
    start = lines.index("## Inputs") + 2
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    terms = lines[start:end]
    # the Inputs table, which the render takes from the card itself, says what the committed graph holds
    rows = [_TERM.fullmatch(line) for line in terms[2:]]
    assert all(rows), [line for line, row in zip(terms[2:], rows, strict=True) if row is None]
    assert [r[1] for r in rows] == list(model.meta.features)
    weights = model.graph.initializers["w"].reshape(-1)
    table = model.graph.initializers["table"].reshape(len(rows), -1)
    written = np.array([[float(r[2]), float(r[3]), float(r[4])] for r in rows])
    np.testing.assert_allclose(written[:, 0], weights, atol=5e-4 + 1e-7)  # printed to 3 places
    np.testing.assert_allclose(written[:, 1:], np.c_[table.min(axis=1), table.max(axis=1)], atol=5e-3 + 1e-7)
    plotted = [d for d in CONDITIONS if (OUT / f"timelines-{d}.png").exists()]
    assert card_text(model.meta, terms, evaluation, plotted) == card
