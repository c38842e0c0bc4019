"""`edge-agent check`'s model step: the figure it prints is of the model's own work."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent import config as agent_config
from agent.base.driver import Registry
from agent.commands.selftest.model import RUNS, check_model
from agent.commands.selftest.step import Context
from agent.core.model import graph
from tests.agent.selftest.test_check_cli import write_config


def test_the_model_step_times_the_model_not_its_cache(tmp_path: Path, monkeypatch) -> None:
    """The model answers a repeated input from its cache; the step's p99 must be of real inferences."""
    runs = []
    real = graph.Graph.run
    monkeypatch.setattr(graph.Graph, "run", lambda self, outputs, feed: runs.append(1) or real(self, outputs, feed))
    config = agent_config.load(write_config(tmp_path, "", port=None), Registry())
    [step] = asyncio.run(check_model(Context(config)))
    assert step.status == "pass" and step.figure.startswith("p99 ")
    assert len(runs) == RUNS + 1  # each timed call ran the graph, besides the one that checks it at load
