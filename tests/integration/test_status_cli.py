"""`edge-agent status` against a real running agent, a stopped one, a hung one and none."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.status import EXIT_NOT_RUNNING, status
from agent.runtime import statusfile
from tests.integration.test_service_notify import start_agent
from tests.support.notify_socket import NotifyReceiver


def status_json(run_dir: Path) -> tuple[int, dict]:
    r = CliRunner().invoke(status, ["--runtime-dir", str(run_dir), "--json"])
    return r.exit_code, json.loads(r.stdout)


def test_status_shows_a_running_agent_then_says_it_stopped(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    proc = start_agent(tmp_path, receiver.env(watchdog_s=1.0))  # its pings wake the waits below
    try:
        receiver.until(lambda ms: any("READY" in m for m in ms), what="READY")
        code, out = status_json(tmp_path / "run")
        assert code == 0 and out["live"], out

        def eda_in_status() -> bool:  # READY means connected; the status file shows the data once it flows
            nonlocal code, out
            code, out = status_json(tmp_path / "run")
            return any("eda" in d["streams"] for d in out["status"]["devices"] if d["device_id"] == "gsr-band")

        receiver.until(lambda _: eda_in_status(), what="the band's first samples in the status file")
        devices = {d["device_id"]: d for d in out["status"]["devices"]}
        assert set(devices) == {"chest-strap", "gsr-band"}
        assert devices["gsr-band"]["streams"]["eda"]["samples"] > 0
        assert out["status"]["outbox"]["records"] >= 0 and out["status"]["sync"] is None
        r = CliRunner().invoke(status, ["--runtime-dir", str(tmp_path / "run"), "--once"])
        assert r.exit_code == 0
        assert "chest-strap" in r.stdout and "eda" in r.stdout and "cloud        not configured" in r.stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        receiver.close()
    code, out = status_json(tmp_path / "run")
    assert code == EXIT_NOT_RUNNING and "stopped" in out["problem"]


def test_no_agent_and_a_hung_agent_are_told_apart(tmp_path: Path) -> None:
    r = CliRunner().invoke(status, ["--runtime-dir", str(tmp_path), "--once"])
    assert r.exit_code == EXIT_NOT_RUNNING and "no agent is running" in r.stdout
    statusfile.write(statusfile.path_for(tmp_path), {"written_at": time.time() - 60, "pid": os.getpid(),
                                                    "state": "running", "devices": []})
    code, out = status_json(tmp_path)
    assert code == EXIT_NOT_RUNNING and "looks hung" in out["problem"]
