"""tools/bench/simulators.py runs the configured simulated sensors for real and measures their CPU alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tools.bench.simulators import measure


def test_the_simulators_alone_are_run_from_the_config_and_cost_some_cpu(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(f'[agent]\nstate_dir = "{tmp_path}/state"\nruntime_dir = "{tmp_path}/run"\n'
                      '[devices.gsr]\ndriver = "sim-gsr"\nrate_hz = 128\n[devices.eeg]\ndriver = "sim-eeg"\n')
    figures = asyncio.run(measure(config, seconds=1.0, warmup_s=0.1))
    assert figures["devices"] == 2
    assert figures["seconds"] > 0 and figures["cpu_pct_of_one_core"] > 0  # it synthesised 256 Hz EEG and GSR
