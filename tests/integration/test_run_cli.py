"""`edge-agent run` as a person or systemd runs it: a real process, real signals."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

SIM_DEVICES = ("chest-strap", "polar-ecg", "gsr-band", "eeg-headset")


def start(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "EDGE_AGENT_CONFIG"}
    return subprocess.Popen(
        [sys.executable, "-m", "agent", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


class JsonLog:
    """The agent's JSON log lines from stderr, read by a thread as they come.

    A thread, because select() on a buffered text pipe misses lines already read ahead.
    """

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[dict] = []
        self._q: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=lambda: [self._q.put(line) for line in proc.stderr], daemon=True)
        self._reader.start()

    def close(self, proc: subprocess.Popen) -> None:
        proc.kill()
        proc.wait()
        self._reader.join(timeout=10)
        proc.stdout.close()
        proc.stderr.close()

    def until(self, done, timeout_s: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while not done(self.lines):
            try:
                line = self._q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"agent did not get there; saw: {[e.get('event') for e in self.lines]}") from None
            if line.startswith("{"):
                self.lines.append(json.loads(line))
        return self.lines


def connected_all(lines: list[dict]) -> bool:
    return {e.get("device_id") for e in lines if e.get("event") == "connected"} >= set(SIM_DEVICES)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_shuts_down_cleanly(sig):
    proc = start("--simulate", "--view", "none")
    log = JsonLog(proc)
    try:
        log.until(connected_all)
        proc.send_signal(sig)
        proc.wait(timeout=15)
        events = log.until(lambda ls: any(e["event"] == "stopped" for e in ls))
    finally:
        log.close(proc)
    assert proc.returncode == 0
    assert any(e["event"] == "signal" and e["signal"] == sig.name for e in events)
    stopped = [e for e in events if e["event"] == "stopped"]
    assert stopped and stopped[-1]["clean"] is True  # within the 2 s grace, no task abandoned


def test_run_for_shows_all_four_simulated_sensors_and_exits_zero():
    proc = start("--simulate", "--for", "4", "--view", "plain", "--speed", "2")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = out.strip().split("\n\n")[-1].splitlines()
    adaptation = next(i for i, line in enumerate(final) if line.startswith("adaptation"))
    assert "hold" in final[adaptation] and "calibrating baseline" in final[adaptation + 1]  # 4 s: still calibrating
    final = final[:adaptation]
    rows = {line.split()[0]: line.split() for line in final[2:] if not line.startswith(" ")}
    assert set(rows) == set(SIM_DEVICES)
    streams = {line.split()[0] if line.startswith(" ") else line.split()[2] for line in final[2:]}
    assert streams == {"rr", "hr", "ecg", "eda", "eeg"}
    # every stream shows a measured rate and a value: live data, not placeholders
    for line in final[2:]:
        assert " - " not in line and ("µV" in line or "µS" in line or " s " in line or "bpm" in line), line


def test_connected_events_carry_the_device_id():
    proc = start("--simulate", "--for", "3", "--view", "none", "--speed", "2")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    events = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    device_events = [e for e in events if e["event"] in {"connected", "disconnected", "gap", "quality"}]
    assert {e["device_id"] for e in device_events} == set(SIM_DEVICES)
