"""The wall clock stepped an hour forward and back while the agent runs (NTP after a long power-off,
a technician setting the time): minute summaries stay in order, none lost or doubled.

The agent runs as a real process under libfaketime, whose offset file is
rewritten mid-run; the monotonic clock is left alone, as a real step leaves it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgpack

from tests.support.waiting import until

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
EDGE_AGENT = Path(sys.executable).with_name("edge-agent")

CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_format = "json"
[vrlink]
enabled = false
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 32
[devices.chest-strap]
driver = "sim-chest-strap"
"""


def minutes(state: Path) -> list[tuple[float, float, float]]:
    """(start, end, created) of every stored minute summary, in outbox order."""
    path = state / "outbox.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT payload FROM records WHERE kind = 'summary.minute' ORDER BY seq").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()
    out = []
    for (payload,) in rows:
        env = msgpack.unpackb(payload)
        out.append((env["body"]["start"], env["body"]["end"], env["created"]))
    return out


async def test_minute_summaries_survive_the_wall_clock_stepped_both_ways(tmp_path: Path) -> None:
    assert LIBFAKETIME.is_file(), "libfaketime is missing: scripts/test installs the faketime package"
    (tmp_path / "agent.toml").write_text(CONFIG.format(tmp=tmp_path))
    offset = tmp_path / "offset"
    offset.write_text("+0\n")
    env = {
        **os.environ,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_CACHE_DURATION": "0",  # a step is seen at once
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # a real step leaves CLOCK_MONOTONIC alone
    }
    cmd = [str(EDGE_AGENT), "run", "--config", str(tmp_path / "agent.toml"), "--view", "none", "--speed", "60"]
    state = tmp_path / "state"
    with (tmp_path / "agent.log").open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        await until(lambda: len(minutes(state)) >= 3, what="three minutes before the step", timeout_s=60)
        offset.write_text("+3600\n")  # an hour forward
        await until(lambda: len(minutes(state)) >= 6, what="three minutes after stepping forward", timeout_s=60)
        offset.write_text("-3600\n")  # two hours back: an hour behind the true time
        await until(lambda: len(minutes(state)) >= 9, what="three minutes after stepping back", timeout_s=60)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0, (tmp_path / "agent.log").read_text()[-3000:]
    stored = minutes(state)
    starts = [s for s, _, _ in stored]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # ordered, none doubled
    assert all(end == next_start for (_, end, _), next_start in zip(stored, starts[1:], strict=False))  # none lost
    created = [c for _, _, c in stored]
    jumps = [b - a for a, b in zip(created, created[1:], strict=False)]
    assert max(jumps) > 3000 and min(jumps) < -3000  # the steps really happened, as the records' creation shows
