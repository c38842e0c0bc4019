"""`check` judges each sensor over the seconds asked for, measured on the data's own time.

It once stopped when ``--seconds`` had passed since the first chunk *arrived*: a chunk still in transit then
left the EEG headset with less than one processing block, judged "eeg: no data", a fail (found by scanning
the simulated scenario's start times; it made ``test_check_honest`` fail now and then in a full run).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent import config as agent_config
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.base.stream import Chunk
from agent.commands.selftest.sensors import judge, stream_for

DEFAULT = Path(agent_config.__file__).with_name("default.toml")
SPEED = 50.0  # agent seconds per wall second: a chunk's delivery then lags its data by a good share of a block
# at this speed the default timeouts are fractions of a wall second: only a dead driver may end the test early
PATIENT = "[supervisor]\nconnect_timeout_s = 30000.0\nfirst_chunk_timeout_s = 30000.0\n"


@pytest.mark.parametrize("scenario_s", [63.0, 119.0, 287.0, 399.0])  # starts where the old check cut short
def test_each_stream_spans_the_seconds_asked_for_and_the_eeg_headset_passes(scenario_s: float) -> None:
    config = agent_config.parse(PATIENT + DEFAULT.read_text(), "<default>", Registry())
    eeg = next(d for d in config.devices if d.device_id == "eeg-headset")
    clock = Clock(SPEED)
    clock.origin -= scenario_s / SPEED  # the simulated scenario starts this far in
    readings, dropped = asyncio.run(stream_for(eeg, 1.0, config, clock))
    chunks = [r for r in readings if isinstance(r, Chunk) and len(r)]
    span = max(float(c.t[-1]) for c in chunks) - min(float(c.t[0]) for c in chunks)
    assert dropped is None and span >= 1.0, (dropped, span)
    step = judge(eeg, readings, dropped, config.top.features)
    assert step.status == "pass", step
