"""Issue 18 finding 9: scripts/demo installs only when pyproject.toml changed, and says when it reuses a baseline.

The demo runs against a stand-in virtualenv whose install stamp matches
pyproject.toml: a pip install would show, and would fail without the network.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.test_find_the_agent import user_env

REPO = Path(__file__).resolve().parents[2]


def stand_in_venv(tmp: Path) -> Path:
    venv = tmp / "venv"
    (venv / "bin").mkdir(parents=True)
    for name, run in (("python", ""), ("edge-agent", " -m agent")):
        script = venv / "bin" / name
        script.write_text(f'#!/bin/sh\nexec {sys.executable}{run} "$@"\n')
        script.chmod(0o755)
    (venv / ".installed-base").write_text(hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest() + "\n")
    return venv


def demo(tmp: Path, venv: Path, seconds: int) -> str:
    env = {**user_env(tmp), "EDGE_AGENT_VENV": str(venv), "DEMO_DIR": str(tmp / "demo"),
           "DEMO_SECONDS": str(seconds), "DEMO_SPEED": "20"}
    r = subprocess.run([str(REPO / "scripts/demo")], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_demo_skips_the_install_and_says_when_it_reuses_a_baseline(tmp_path: Path) -> None:
    venv = stand_in_venv(tmp_path)
    first = demo(tmp_path, venv, 70)  # past the 60 s calibration: the baseline is stored
    assert "pyproject.toml unchanged" in first and "installing" not in first
    assert "no stored baseline: the agent calibrates first" in first
    assert (tmp_path / "demo/state/baseline.json").exists()
    second = demo(tmp_path, venv, 1)
    assert "reusing the baseline an earlier run stored" in second and "DEMO_FRESH=1" in second
    assert f"vr-tail --config {tmp_path / 'demo/agent.toml'}" in second
    assert not os.path.exists(tmp_path / "home/.local")  # the demo kept to its own folder
