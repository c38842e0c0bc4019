"""``edge-agent replay``: a real recording through the whole pipeline, one JSON line per tick."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from agent.base.datasets import data_root

CLI = [sys.executable, "-m", "agent"]


def replay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "replay", *args], capture_output=True, text=True, timeout=110, cwd=cwd)


def test_replay_writes_a_line_per_tick_with_the_recordings_label(tmp_path: Path):
    out = tmp_path / "ticks.jsonl"
    done = replay("eegmat/Subject02.npz", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    rest_s = 182.0  # EEGMAT: about 180 s of rest, then 60 s of arithmetic
    assert 4 * 230 <= len(lines) <= 4 * 245  # 4 Hz over the whole recording
    assert lines[0]["t"] == 0.0 and all(abs(b["t"] - a["t"] - 0.25) < 1e-6 for a, b in zip(lines, lines[1:], strict=False))
    for line in lines:
        assert {"t", "distress", "level", "confidence", "label"} <= set(line)
        assert line["level"] in {"hold", "calm", "elevated", "distressed"}
        assert line["distress"] is None if line["level"] == "hold" else 0.0 <= line["distress"] <= 1.0
        assert 0.0 <= line["confidence"] <= 1.0
    assert {x["label"] for x in lines if x["t"] < 170} == {0} and {x["label"] for x in lines if x["t"] > 190} == {1}
    assert lines[0]["level"] == "hold" and lines[0]["reasons"][0].startswith("hold: calibrating baseline")
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


def test_standard_output_gets_the_lines_and_standard_error_the_summary(tmp_path: Path):
    done = replay("rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt", "--out", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(lines) > 10 and "ticks (no label stream) -> -" in done.stderr


def unreadable(tmp_path: Path, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = replay(str(source), "--out", str(tmp_path / "x.jsonl"), *extra, cwd=tmp_path)
    assert time.monotonic() - started < 10
    assert done.returncode != 0 and str(source) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_a_corrupt_recording_fails_at_once_naming_the_file(tmp_path: Path):
    bad = tmp_path / "S2_wrist.npz"
    bad.write_bytes(b"\x00not a zip archive at all\xff" * 10)
    done = unreadable(tmp_path, bad)
    assert "cannot tell which recording format" in done.stderr and "--format" in done.stderr
    done = unreadable(tmp_path, bad, "--format", "wesad-npz")
    assert "not a readable .npz archive" in done.stderr


def test_an_empty_folder_or_a_readme_fails_at_once_naming_it(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    unreadable(tmp_path, empty)
    unreadable(tmp_path, data_root() / "README.md")


def test_help_lists_the_formats(tmp_path: Path):
    done = replay("--help", cwd=tmp_path)
    assert done.returncode == 0
    for name in ("wesad-npz", "e4-folder", "muse-csv", "rr-intervals", "eegmat-npz", "biosignal-csv", "opensignals-txt"):
        assert name in done.stdout
