"""`edge-agent run` under a service manager: READY, WATCHDOG, STATUS and STOPPING on a real NOTIFY_SOCKET."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.notify_socket import NotifyReceiver

CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"

[devices.chest-strap]
driver = "sim-chest-strap"

[devices.gsr-band]
driver = "sim-gsr"
"""


def start_agent(tmp: Path, notify_env: dict[str, str]) -> subprocess.Popen:
    config = tmp / "agent.toml"
    config.write_text(CONFIG.format(tmp=tmp))
    env = {k: v for k, v in os.environ.items() if k not in ("EDGE_AGENT_CONFIG", "NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update(notify_env)
    return subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(config), "--view", "none", "--speed", "4"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_ready_watchdog_and_stopping_arrive_on_the_notify_socket(tmp_path: Path, kind: str) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock" if kind == "path" else None)
    proc = start_agent(tmp_path, receiver.env(watchdog_s=1.0))
    try:
        msgs = receiver.until(lambda ms: any("READY" in m for m in ms), what="READY=1")
        ready = next(m for m in msgs if "READY" in m)
        assert ready["READY"] == "1"
        assert ready["STATUS"].startswith("2/2 sensors streaming"), ready  # READY waits for every sensor to connect
        receiver.until(lambda ms: sum("WATCHDOG" in m for m in ms) >= 3, what="three WATCHDOG=1 pings")
        assert all(m["WATCHDOG"] == "1" for m in receiver.messages if "WATCHDOG" in m)
        proc.send_signal(signal.SIGTERM)
        receiver.until(lambda ms: any("STOPPING" in m for m in ms), what="STOPPING=1")
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        receiver.close()
    assert receiver.messages.index(ready) < next(i for i, m in enumerate(receiver.messages) if "WATCHDOG" in m)


def test_without_watchdog_usec_there_are_no_pings(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    proc = start_agent(tmp_path, receiver.env())
    try:
        receiver.until(lambda ms: any("READY" in m for m in ms), what="READY=1")
        proc.send_signal(signal.SIGTERM)
        receiver.until(lambda ms: any("STOPPING" in m for m in ms), what="STOPPING=1")
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        receiver.close()
    assert receiver.count("WATCHDOG") == 0
