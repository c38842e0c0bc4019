"""The short form of ``scripts/model-update-soak soak``: kill -9 during model downloads and installs.

The script checks after every kill, as the agent does at start-up, that
exactly one complete, verified model is active and that disk use is
bounded; it exits non-zero on the first violation. The long form (200
kills) is run by hand; figures in the issue note.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_during_download_and_install_always_leaves_one_complete_verified_model(tmp_path: Path):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts/model_update_soak.py"), "soak", "--iterations", "12",
                           "--size-mb", "0.5", "--seed", "7", "--json", str(out)],
                          capture_output=True, text=True, timeout=110)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["kills"] == 12 and sum(report["state_at_kill"].values()) >= 12
    assert report["installs_completed"] >= 1
