"""The same recording streamed live through the replay driver and replayed: the same decisions.

The live agent runs its supervisor, queue and pipeline on a clock at 10x real
time; replay merges the recording with no clock at all. Every stream arrives
well within the lateness bound, so the core must decide every tick the same.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from agent import config as agent_config
from agent.app import Agent, run
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.replay import build_core, open_recorded, replay, tick_line

SETTINGS = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[vrlink]
enabled = false
[baseline]
calibration_s = 20
use_stored = false
[features]
lateness_s = 60
"""
DEVICE = """
[devices.recording]
driver = "replay"
path = "wesad-wrist/S5_wrist.npz"
start_s = 1000.0
duration_s = 90.0
speed = 1.0
"""


def test_live_through_the_replay_driver_decides_exactly_as_replay(tmp_path: Path) -> None:
    registry = Registry()
    cfg = tmp_path / "agent.toml"
    cfg.write_text((SETTINGS + DEVICE).format(tmp=tmp_path))
    config = agent_config.load(cfg, registry)
    agent = Agent(config, Clock(speed=10))
    live: list = []
    agent.analysis.on_decision.append(live.append)
    asyncio.run(asyncio.wait_for(run(agent), 60))

    out = io.StringIO()
    recorded = open_recorded(Path("wesad-wrist/S5_wrist.npz"), registry=registry, start_s=1000.0, duration_s=90.0)
    replay(config, recorded, out, core=build_core(config))
    replayed = out.getvalue().splitlines()

    assert len(live) == len(replayed) == 4 * 90
    start = live[0].features.t - json.loads(replayed[0])["t"]  # the live timeline starts on a whole second
    assert start == int(start)
    for d, expected in zip(live, replayed, strict=True):
        got = json.loads(tick_line(d, None, False))
        want = json.loads(expected)
        want.pop("label")
        assert round(got.pop("t") - start, 3) == want.pop("t")
        assert got == want
    # decisions, not only calibration: the heart calibrates on its first 20 s, the skin on its own 20 s after it
    assert sum(json.loads(x)["level"] != "hold" for x in replayed) > len(replayed) / 2
