"""Issue 18 finding 7: `edge-agent run --simulate` in a real terminal (tmux) at 80×24 and 200×50, read back
with capture-pane: the header stays at the top, every device row and the adaptation line show, no line
wraps, level changes reach the recent panel, wide screens show the reasons whole, and the last frame
says the agent stopped."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_find_the_agent import user_env

DEVICES = ("chest-strap", "polar-ecg", "gsr-band", "eeg-headset")


class Tmux:
    """A private tmux server (its own socket, no user config) holding one window of a fixed size."""

    def __init__(self, tmp: Path, width: int, height: int, command: str) -> None:
        self.env = user_env(tmp)
        self.base = ["tmux", "-S", str(tmp / "tmux.sock"), "-f", "/dev/null"]
        # `read` keeps the window open after the agent exits, so its last frame can be read.
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                  f"{command}; echo exit=$?; read _")

    def tmux(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, env=self.env, check=True,
                              timeout=30).stdout

    def screen(self) -> list[str]:
        # -J joins a line the terminal wrapped with its continuation: a wrap shows as a line too long.
        out = self.tmux("capture-pane", "-p", "-J", "-t", "t")
        return [line.rstrip() for line in out.rstrip("\n").split("\n")]

    async def until(self, predicate, what: str, timeout_s: float = 90.0) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while True:
            lines = self.screen()
            if predicate(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(lines))
            await asyncio.sleep(0.1)  # yield between looks; the deadline bounds the wait

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, env=self.env, timeout=30)


def full_frame(lines: list[str]) -> bool:
    return (any(line.startswith("level ") for line in lines) and any(line.startswith("why: ") for line in lines)
            and all(any(line.startswith(d) for line in lines) for d in DEVICES))


def assert_fits(lines: list[str], width: int) -> None:
    assert all(len(line) <= width for line in lines), "a line wrapped:\n" + "\n".join(lines)


# The simulated sensors with the demo's shorter calibration, so a level change comes within seconds.
CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"

[baseline]
calibration_s = 60

[devices.placeholder]
driver = "sim-gsr"
"""


@pytest.mark.parametrize("width, height", [(80, 24), (200, 50)])
async def test_live_view_fits_the_terminal_and_leaves_a_stopped_frame(tmp_path, width, height):
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG.format(tmp=tmp_path))
    command = f"{sys.executable} -m agent run --simulate --config {config} --speed 5 --for 75"
    tmux = Tmux(tmp_path, width, height, command)
    try:
        lines = await tmux.until(full_frame, "the header, every device row and the adaptation line")
        assert lines[0].startswith("edge-agent running  wall 00:00:") and " scenario 00:" in lines[0]
        assert lines[1].startswith("VR socket ") and lines[1].endswith("/run/vr.sock")
        assert lines[2].startswith("status ") and lines[2].endswith("agent.toml")
        assert any(line.startswith("device ") and "last minute" in line for line in lines)
        assert_fits(lines, width)
        # calibration ends at 60 s of scenario: the level change shows in the recent panel
        lines = await tmux.until(lambda ls: any(" level hold → " in line for line in ls), "a level change")
        assert_fits(lines, width)
        if width >= 200:  # room enough: the reasons are shown whole
            why = lines.index(next(line for line in lines if line.startswith("why: ")))
            assert "…" not in lines[why] and "…" not in lines[why + 1], lines[why:why + 2]
        final = await tmux.until(lambda ls: any(line.startswith("exit=") for line in ls), "the agent to stop")
        assert "exit=0" in final
        frame = final[final.index(next(line for line in final if line.startswith("edge-agent STOPPED"))):]
        assert full_frame(frame) and any(line.startswith("recent (stopped") for line in frame)
        assert not any("streaming" in line for line in frame)
        assert_fits(final, width)
    finally:
        tmux.close()
