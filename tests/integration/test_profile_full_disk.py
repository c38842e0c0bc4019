"""The stored baseline on a full filesystem: the agent keeps deciding, says so once, and stores it later."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from agent import config as agent_config
from agent.app import Agent, run
from agent.base.clock import Clock
from agent.base.driver import Registry
from tests.support.waiting import until

CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[vrlink]
enabled = false
[baseline]
calibration_s = 10
profile = "{disk}/baseline.json"
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 32
[devices.chest-strap]
driver = "sim-chest-strap"
"""


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, filled to the last byte."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], check=True)
    try:
        with contextlib.suppress(OSError), (disk / "filler").open("wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


async def test_a_full_disk_at_the_end_of_calibration_stops_nothing(tmp_path: Path, full_disk: Path) -> None:
    cfg = tmp_path / "agent.toml"
    cfg.write_text(CONFIG.format(tmp=tmp_path, disk=full_disk))
    agent = Agent(agent_config.load(cfg, Registry()), Clock(speed=20))
    profile = full_disk / "baseline.json"
    stop = asyncio.Event()
    with structlog.testing.capture_logs() as logs:
        running = asyncio.create_task(run(agent, stop=stop))
        try:
            await until(lambda: agent.baseline.profile is not None, what="calibration to end", timeout_s=30)
            await until(lambda: any(e["event"] == "profile_save_failed" for e in logs), what="the failure logged")
            ticks = agent.analysis.ticks
            await until(lambda: agent.analysis.ticks > ticks + 40, what="ticks after the failure")
            assert not running.done() and not profile.exists() and agent.baseline.unsaved is not None
            (full_disk / "filler").unlink()  # space again: the next retry stores it
            await until(profile.exists, what="the profile stored on retry", timeout_s=30)
        finally:
            stop.set()
            await running
    failures = [e for e in logs if e["event"] == "profile_save_failed"]
    assert len(failures) == 1 and "No space left on device" in failures[0]["error"]
    assert any(e["event"] == "profile_saved" for e in logs)
