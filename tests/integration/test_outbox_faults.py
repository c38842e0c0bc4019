"""The outbox under real faults: a full tmpfs, a read-only directory, a corrupt file. Nothing stops the agent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
import structlog

from agent import config as agent_config
from agent.app import Agent, run
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.outputs.outbox import Outbox, RecordKind
from tests.support.waiting import until


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MiB tmpfs."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> None:
    """Write a filler file until the filesystem refuses another byte."""
    with contextlib.suppress(OSError), (disk / "filler").open("ab") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
    with contextlib.suppress(OSError), (disk / "filler").open("ab") as f:
        while True:
            f.write(b"\0")
            f.flush()


def test_a_full_disk_drops_by_priority_and_counts_it(small_disk: Path) -> None:
    outbox = Outbox.open(small_disk / "outbox.sqlite3", max_bytes=64 * 1024 * 1024)  # the disk, not max_bytes, binds
    payload = os.urandom(20_000)
    put = {kind: 0 for kind in RecordKind}
    try:
        for _ in range(20):
            for kind in (RecordKind.HEALTH, RecordKind.MINUTE, RecordKind.SESSION):
                assert outbox.put(kind, payload).record is not None
                put[kind] += 1
        fill(small_disk)
        for kind in (RecordKind.SESSION, RecordKind.MINUTE, RecordKind.SESSION):
            for _ in range(30):
                outbox.put(kind, payload)  # never raises
                put[kind] += 1
                stats = outbox.stats()
                # by priority: a session summary goes only once no health record or minute summary is left
                if "summary.session" in stats.evicted:
                    assert not stats.pending.get("health") and not stats.pending.get("summary.minute"), stats
                if "summary.minute" in stats.evicted:
                    assert not stats.pending.get("health"), stats
        stats = outbox.stats()
    finally:
        outbox.close()
    assert stats.evicted["health"] == 20 and stats.pending["summary.session"] >= 30
    for kind in RecordKind:  # every record is stored, evicted or dropped, and counted as such
        lost = stats.evicted.get(str(kind), 0) + stats.dropped.get(f"disk_full.{kind}", 0)
        assert stats.pending.get(str(kind), 0) + lost == put[kind], (kind, stats)
    assert stats.as_dict()["evicted"] == stats.evicted and stats.as_dict()["dropped"] == stats.dropped  # for health


def test_a_read_only_state_directory_keeps_records_in_memory_and_says_so(small_disk: Path) -> None:
    Outbox.open(small_disk / "outbox.sqlite3", max_bytes=1 << 20).close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with structlog.testing.capture_logs() as logs:
        outbox = Outbox.open(small_disk / "outbox.sqlite3", max_bytes=1 << 20)
    try:
        assert outbox.put(RecordKind.MINUTE, b"summary").record is not None  # kept, and still sendable
        assert [r.payload for r in outbox.pending(10)] == [b"summary"]
        assert outbox.stats().as_dict()["not_durable"] in ("read_only", "io_error")
        assert [e["event"] for e in logs if e["log_level"] == "error"] == ["outbox.not_durable"]
    finally:
        outbox.close()


def test_a_write_refused_while_running_drops_and_counts_without_raising(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    Outbox.open(path, max_bytes=1 << 20).close()
    # SQLite's own read-only mode gives the refusal a remounted file system would (a busy tmpfs cannot be remounted)
    readonly = Outbox(sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None), path, 1 << 20)
    with structlog.testing.capture_logs() as logs:
        result = readonly.put(RecordKind.MINUTE, b"summary")
    assert result.record is None and result.evicted[0][0] == "summary.minute"
    assert readonly.stats().dropped == {"read_only.summary.minute": 1}
    assert [e["reason"] for e in logs if e["event"] == "outbox.dropped"] == ["read_only"]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_outbox_is_set_aside_and_a_fresh_one_counts_the_loss(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox.open(path, max_bytes=1 << 20)
    for _ in range(50):
        outbox.put(RecordKind.MINUTE, os.urandom(3000))
    outbox.close()
    raw = path.read_bytes()
    path.write_bytes(os.urandom(len(raw)) if damage == "garbage" else raw[: len(raw) // 2])
    with structlog.testing.capture_logs() as logs:
        fresh = Outbox.open(path, max_bytes=1 << 20)
    aside = fresh.set_aside
    assert aside is not None and aside.name.startswith("outbox.sqlite3.corrupt-") and aside.read_bytes()
    assert fresh.stats().records == 0 and fresh.stats().set_aside["files"] == 1
    assert fresh.put(RecordKind.MINUTE, b"after").record is not None
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["outbox.set_aside"]
    fresh.close()
    again = Outbox.open(path, max_bytes=1 << 20)  # the next start finds a sound file: no loop of set-asides
    assert again.set_aside is None and again.stats().set_aside["files"] == 1 and again.stats().records == 1
    again.close()


CONFIG = """
[agent]
state_dir = "{state}"
runtime_dir = "{tmp}/run"
log_level = "warning"
[vrlink]
enabled = false
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 32
[devices.chest-strap]
driver = "sim-chest-strap"
"""


async def test_the_agent_keeps_running_on_a_full_disk_and_its_health_says_so(
    tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "agent.toml"
    cfg.write_text(CONFIG.format(state=small_disk, tmp=tmp_path))
    monkeypatch.setattr(Agent, "HEALTH_EVERY_S", 5.0)  # agent seconds: four health records a wall second at speed 20
    agent = Agent(agent_config.load(cfg, Registry()), Clock(speed=20))
    stop = asyncio.Event()
    with structlog.testing.capture_logs() as logs:
        running = asyncio.create_task(run(agent, stop=stop))
        try:
            # some history to make room from, as a running agent has: the disk fills later
            await until(lambda: _stored(small_disk, "health") >= 5, what="health records stored", timeout_s=30)
            fill(small_disk)
            lost = ("outbox.evicted", "outbox.dropped")
            await until(lambda: any(e["event"] in lost for e in logs), what="a record lost to the disk", timeout_s=60)
        except BaseException:
            stop.set()
            await running
            raise
    try:
        ticks = agent.analysis.ticks
        await until(lambda: agent.analysis.ticks > ticks + 40, what="ticks after the disk filled")
        await until(lambda: _losses_reported(small_disk) > 0, what="a health record reporting it", timeout_s=60)
        assert not running.done()
    finally:
        stop.set()
        await running


def _stored(state: Path, kind: str) -> int:
    if not (state / "outbox.sqlite3").exists():
        return 0
    db = sqlite3.connect(f"file:{state / 'outbox.sqlite3'}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM records WHERE kind = ?", (kind,)).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        db.close()


def _losses_reported(state: Path) -> int:
    """Evicted and dropped records as the newest stored health record reports them."""
    db = sqlite3.connect(f"file:{state / 'outbox.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT payload FROM records WHERE kind = 'health' ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        db.close()
    if row is None:
        return 0
    reported = msgpack.unpackb(row[0])["body"]["outbox"]
    return sum(reported["evicted"].values()) + sum(reported["dropped"].values())
