"""``edge-agent replay``: a real recording through the whole pipeline, one JSON line per tick."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.datasets import data_root

CLI = [sys.executable, "-m", "agent"]


def replay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "replay", *args], capture_output=True, text=True, timeout=110, cwd=cwd)


def test_replay_writes_a_line_per_tick_with_the_recordings_label(tmp_path: Path):
    out = tmp_path / "ticks.jsonl"
    done = replay("eegmat/Subject02.npz", "--out", str(out), "--speed", "max", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    rest_s = 182.0  # EEGMAT: about 180 s of rest, then 60 s of arithmetic
    assert 4 * 230 <= len(lines) <= 4 * 245  # 4 Hz over the whole recording
    assert lines[0]["t"] == 0.0 and all(abs(b["t"] - a["t"] - 0.25) < 1e-6 for a, b in zip(lines, lines[1:], strict=False))
    for line in lines:
        assert {"t", "distress", "level", "confidence", "label"} <= set(line)
        assert line["level"] in {"hold", "calm", "elevated", "distressed"}
        assert 0.0 <= line["distress"] <= 1.0 and 0.0 <= line["confidence"] <= 1.0
    assert {x["label"] for x in lines if x["t"] < 170} == {0} and {x["label"] for x in lines if x["t"] > 190} == {1}
    assert lines[0]["level"] == "hold" and "calibrating baseline" in lines[0]["reasons"][0]
    assert any(x["level"] != "hold" for x in lines if x["t"] > rest_s)  # calibrated on the rest, then decides
    assert "ticks (with labels)" in done.stderr


def test_a_recording_without_labels_has_no_label_field(tmp_path: Path):
    out = tmp_path / "ticks.jsonl"
    src = data_root() / "biosignal-samples" / "bio_resting_5min_100hz.csv"
    done = replay(str(src), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) > 4 * 250 and all("label" not in x for x in lines)


def test_a_missing_recording_is_a_clear_error(tmp_path: Path):
    done = replay("no/such/file.npz", "--out", str(tmp_path / "x.jsonl"), cwd=tmp_path)
    assert done.returncode == 2 and "no/such/file.npz does not exist" in done.stderr
