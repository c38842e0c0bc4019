"""Issue 18 finding 1: `edge-agent status` and `vr-tail` with no arguments find an agent started with none.

Every process here runs with HOME and XDG_* pointed into the test's own
directory, as a second user or a second test run would have its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.commands.cli.status import render
from agent.errors import EX_TEMPFAIL
from agent.runtime.statusfile import Reading


def user_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EDGE_AGENT_CONFIG", "NOTIFY_SOCKET")}
    for name in ("home", "run", "state", "config", "cache", "data"):
        (tmp / name).mkdir(exist_ok=True)
    env.update(HOME=str(tmp / "home"), XDG_RUNTIME_DIR=str(tmp / "run"), XDG_STATE_HOME=str(tmp / "state"),
               XDG_CONFIG_HOME=str(tmp / "config"), XDG_CACHE_HOME=str(tmp / "cache"),
               XDG_DATA_HOME=str(tmp / "data"))
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def wait_live(env: dict[str, str], timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        result = cli(env, "status", "--json")  # each call takes a while: this loop does not spin
        out = json.loads(result.stdout)
        if result.returncode == 0:
            return out
        assert time.monotonic() < deadline, f"status never found the agent: {out}"


def test_status_and_vr_tail_with_no_arguments_find_an_agent_started_with_none(tmp_path):
    env = user_env(tmp_path)
    agent = subprocess.Popen([sys.executable, "-m", "agent", "run", "--view", "none", "--speed", "4"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = agent.stderr.readline()
        sock = tmp_path / "run/edge-agent/vr.sock"
        assert f"VR socket {sock}" in first and f"status file {tmp_path / 'run/edge-agent/status.json'}" in first
        out = wait_live(env)
        assert out["live"] and out["path"] == str(tmp_path / "run/edge-agent/status.json")
        assert {d["device_id"] for d in out["status"]["devices"]} >= {"chest-strap", "gsr-band"}
        tail = cli(env, "vr-tail", "--count", "1", "--json", "--no-status")
        assert tail.returncode == 0, tail.stderr
        messages = [json.loads(line) for line in tail.stdout.splitlines()]
        assert any(m.get("type") == "adaptation" for m in messages)
        second = cli(env, "run", "--view", "none", "--for", "5")  # a second agent, same user, same dirs
        assert second.returncode == EX_TEMPFAIL, second.stderr
        assert "another agent is already running" in second.stderr
        assert "configuration error" not in second.stderr
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=30) == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        agent.stderr.close()


def test_vr_tail_without_an_agent_says_none_is_listening_there(tmp_path):
    result = cli(user_env(tmp_path), "vr-tail", "--count", "1")
    assert result.returncode == 1
    assert f"no agent is listening at {tmp_path / 'run/edge-agent/vr.sock'}" in result.stderr


def test_a_stopped_agents_status_does_not_claim_the_cloud_is_online(tmp_path):
    snapshot = {"version": "x", "pid": 1, "state": "running", "uptime_s": 10, "devices": [],
                "sync": {"state": "online", "broker": "mqtt.example:8883", "delivered": 3, "last_delivery_at": 0}}
    reading = Reading(tmp_path / "status.json", snapshot, 234.0, False, "the agent stopped 234 s ago (pid 1)")
    text = "\n".join(render(reading, colour=False, now=100.0))
    assert "cloud        online" not in text and "not live" in text
