"""Issue 18 finding 9: scripts/demo installs only when pyproject.toml (or constraints.txt) changed, and says when
it reuses a baseline.

The script runs against a stand-in virtualenv whose install stamp matches
pyproject.toml and constraints.txt (a pip install would show, and would fail without the
network) and whose `edge-agent` prints the command it was given: what is
tested here is the script; the agent it starts is tested everywhere else.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from agent import config as agent_config
from agent.base.driver import Registry
from tests.integration.test_find_the_agent import user_env

REPO = Path(__file__).resolve().parents[2]


def stand_in_venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    (venv / "bin").mkdir(parents=True)
    scripts = {"python": f'exec {sys.executable} "$@"', "edge-agent": 'echo "started: edge-agent $*"'}
    for name, body in scripts.items():
        script = venv / "bin" / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    made_from = (REPO / "pyproject.toml").read_bytes() + (REPO / "constraints.txt").read_bytes()
    (venv / ".installed-base").write_text(hashlib.sha256(made_from).hexdigest() + "\n")
    return venv


def demo(tmp: Path, venv: Path, **extra: str) -> str:
    env = {**user_env(tmp), "EDGE_AGENT_VENV": str(venv), "DEMO_DIR": str(tmp / "demo"), **extra}
    r = subprocess.run([str(REPO / "scripts/demo")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_demo_skips_the_install_and_says_when_it_reuses_a_baseline(tmp_path: Path) -> None:
    venv = stand_in_venv(tmp_path)
    first = demo(tmp_path, venv)
    assert "pyproject.toml and constraints.txt unchanged" in first and "installing" not in first
    assert "no stored baseline: the agent calibrates first" in first
    config = tmp_path / "demo/agent.toml"
    assert f"started: edge-agent run --config {config} --for 360 --speed 4" in first
    assert f"vr-tail --config {config}" in first
    parsed = agent_config.load(config, Registry())  # the demo's own folders, a valid config
    assert parsed.agent.state_dir == tmp_path / "demo/state" and len(parsed.devices) == 4
    baseline = tmp_path / "demo/state/baseline.json"
    baseline.parent.mkdir(parents=True)
    baseline.write_text("{}")  # as an earlier run leaves it
    second = demo(tmp_path, venv)
    assert f"reusing the baseline an earlier run stored ({baseline}" in second and "DEMO_FRESH=1" in second
    fresh = demo(tmp_path, venv, DEMO_FRESH="1")
    assert "no stored baseline" in fresh and not baseline.exists()
