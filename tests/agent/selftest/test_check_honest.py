"""Issue 18 finding 5: `check` says when it tests the embedded default and simulated sensors, and judges a
slow sensor over a window long enough for its rate."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from agent import config as agent_config
from agent import config_file
from agent.commands.cli.check import check


def run(args: list[str]) -> tuple[int, dict]:
    r = CliRunner().invoke(check, [*args, "--json", "--speed", "4", "--min-free-mb", "0"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, {s["name"]: s for s in json.loads(r.stdout)["steps"]}


def test_a_healthy_1hz_strap_passes_check_seconds_1(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp_path}/state"\nruntime_dir = "{tmp_path}/run"\n'
                    '[devices.strap]\ndriver = "sim-chest-strap"\n')
    code, steps = run(["--config", str(path), "--seconds", "1"])
    strap = steps["sensor strap"]
    assert strap["status"] != "fail" and "moisten" not in strap["fix"], strap
    assert "hr 1" in strap["figure"] and "hr 1 samples" not in strap["figure"]  # ten or more 1 Hz samples


def test_no_config_says_it_tests_the_embedded_default_and_simulated_sensors(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(agent_config.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(config_file, "DEFAULT_PATH", tmp_path / "etc/agent.toml")  # as on an unprovisioned device
    code, steps = run(["--seconds", "1"])
    assert steps["config"]["status"] == "warn" and "embedded default" in steps["config"]["detail"]
    assert "edge-agent provision" in steps["config"]["fix"]
    sensors = [s for name, s in steps.items() if name.startswith("sensor ")]
    assert len(sensors) == 4
    for s in sensors:  # each whole in the message (a short sensor window once failed here: test_sensor_window.py)
        assert s["status"] == "warn" and "SIMULATED" in s["detail"], s
