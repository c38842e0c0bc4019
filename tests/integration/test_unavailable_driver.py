"""A driver whose library cannot be imported is reported with the extra to install,
and the other drivers still run. The import failure is real: a ``bleak`` that
raises ImportError is put first on the path of a real agent process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def env_without_bleak(tmp_path: Path) -> dict[str, str]:
    fake = tmp_path / "shadow" / "bleak"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named bleak (shadowed by the test)')\n")
    env = {k: v for k, v in os.environ.items() if k != "EDGE_AGENT_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "shadow"), env.get("PYTHONPATH", "")])
    return env


def test_drivers_command_names_the_extra(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "agent", "drivers", "--json"],
        capture_output=True, text=True, timeout=60, env=env_without_bleak(tmp_path), check=True,
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    for name in ("ble-heart-rate", "polar-h10"):
        assert rows[name]["available"] is False
        assert "pip install 'vr-edge-agent[ble]'" in rows[name]["error"]
    assert all(rows[n]["available"] for n in ("sim-chest-strap", "sim-gsr", "replay"))


def test_agent_runs_the_other_devices(tmp_path):
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f"""
[agent]
state_dir = "{tmp_path}/state"
runtime_dir = "{tmp_path}/run"
[devices.strap]
driver = "ble-heart-rate"
address = "A0:9E:1A:00:00:01"
[devices.gsr]
driver = "sim-gsr"
""")
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "run", "--config", str(cfg), "--for", "3", "--speed", "3", "--view", "plain"],
        capture_output=True, text=True, timeout=60, env=env_without_bleak(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    unavailable = [e for e in events if e["event"] == "driver_unavailable"]
    assert [e["device_id"] for e in unavailable] == ["strap"] and unavailable[0]["extra"] == "ble"
    table = proc.stdout.strip().split("\n\n")[-1]
    assert "strap" in table and "unavailable" in table
    gsr_row = next(line for line in table.splitlines() if line.startswith("gsr"))
    assert "eda" in gsr_row and "µS" in gsr_row
