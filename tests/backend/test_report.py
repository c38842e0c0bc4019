"""The outcome report, from a session the whole agent recorded (a replayed WESAD recording, a VR app on the real
socket, pain ratings), stored through the backend store, rendered in headless Chromium, figures checked by hand."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image as mpimg

from agent import config as agent_config
from agent.app import Agent, run
from agent.backend.postgres_store import PostgresStore
from agent.backend.report import build
from agent.backend.report.data import Selection
from agent.backend.report.metrics import week_start
from agent.backend.sqlite_store import SqliteStore
from agent.backend.store import Outcome, Store
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.outputs.outbox import Outbox
from agent.outputs.summaries.records import DistressStats, MinuteSummary, SessionSummary
from agent.outputs.sync.codec import decode_record, encode_record
from agent.outputs.sync.topics import Topics
from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.messages import PainRating, SessionEnd, SessionStart
from tests.backend.chromium import image_counts, screenshot
from tests.backend.messages import encoded

SITE, DEVICE = "clinic-a", "headset-7"
CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[baseline]
calibration_s = 30
[prescription]
sessions_per_week = 3
minutes_per_session = 5
[devices.wesad]
driver = "replay"
path = "wesad-wrist/S5_wrist.npz"  # WESAD S5's wrist band, from 3 min before the stress task into it
start_s = 3300
"""
SESSION_MIN = 6


async def _record_a_session(tmp: Path) -> list[tuple[str, bytes]]:
    cfg = tmp / "agent.toml"
    cfg.write_text(CONFIG.format(tmp=tmp))
    config = agent_config.load(cfg, Registry())
    agent = Agent(config, Clock(speed=30))  # 6 minutes of session in 12 s; the replay keeps pace with the clock
    stop = asyncio.Event()
    running = asyncio.create_task(run(agent, stop=stop))
    try:
        async with asyncio.timeout(90):
            while not config.vrlink.socket_path.exists():
                await asyncio.sleep(0.01)
            async with await VrLinkClient.connect_unix(config.vrlink.socket_path, clock=agent.clock) as app:
                await app.send(SessionStart(session_id="vr-1", protocol_id="p1", scene_id="forest", id="1"))
                await app.send(PainRating(session_id="vr-1", nrs=7, phase="before", id="2"))
                await agent.clock.sleep(SESSION_MIN * 60)
                await app.send(PainRating(session_id="vr-1", nrs=4, phase="after", id="3"))
                await app.send(SessionEnd(session_id="vr-1", reason="completed", id="4"))
                while agent.recorder.sessions._open is not None:  # noqa: SLF001 - the agent has recorded the end
                    await asyncio.sleep(0.01)
    finally:
        stop.set()
        await running
    outbox = Outbox.open(config.top.outbox.resolve_path(config.agent.state_dir), max_bytes=1 << 24)
    try:
        out = []  # as the agent's sync sends them, under this test's site and device
        for r in outbox.pending(1000):
            env = decode_record(r.payload)
            out.append((Topics(SITE, DEVICE).record(env.kind),
                        encode_record(env.body, key=env.key, created=env.created, site=SITE, device=DEVICE)))
        return out
    finally:
        outbox.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    return asyncio.run(_record_a_session(tmp_path_factory.mktemp("agent")))


def _earlier_sessions(real_start: float) -> list[tuple[str, bytes]]:
    """Hand-made history: two weeks before the recorded one's, 3 sessions; the week before, 1 that ended early."""
    monday = dt.datetime.combine(week_start(real_start), dt.time(9, 0), dt.UTC).timestamp()
    plan = [(-14, 6, 5, True), (-13, 5, 5, True), (-11, 8, 6, True), (-6, 7, 7, False)]
    out = []
    for i, (day, before, after, completed) in enumerate(plan):
        start = monday + day * 86400
        s = SessionSummary(session_id=f"hist-{i}", start=start, end=start + 1200, duration_s=1200, completed=completed,
                           end_reason=None if completed else "stopped by the patient", pain_before=before,
                           pain_after=after, levels_s={"calm": 600, "elevated": 300, "distressed": 300},  # type: ignore[dict-item]
                           pain_ratings=[{"at_s": -30, "score": before, "phase": "before"},  # type: ignore[list-item]
                                         {"at_s": 1210, "score": after, "phase": "after"}])
        out.append((f"v1/{SITE}/{DEVICE}/summary/session", encoded(s, 900 + i, site=SITE, device=DEVICE)))
        m = MinuteSummary(start=start, end=start + 60, session_id=f"hist-{i}",
                          distress=DistressStats(n=1, mean=0.3, p90=0.4, histogram=[0, 1, 0, 0, 0]))
        out.append((f"v1/{SITE}/{DEVICE}/summary/minute", encoded(m, 950 + i, site=SITE, device=DEVICE)))
    return out


def _fill(store: Store, recorded: list[tuple[str, bytes]]) -> dict[str, Any]:
    outcomes = store.store_batch(recorded)
    assert set(outcomes) == {Outcome.STORED}
    [real] = store.bodies("summary.session")
    outcomes = store.store_batch(_earlier_sessions(real["start"]))
    assert set(outcomes) == {Outcome.STORED}
    return real


@pytest.fixture(params=["sqlite", "postgres"])
def filled(request: pytest.FixtureRequest, tmp_path: Path, recorded: list[tuple[str, bytes]]) -> Any:
    store: Store = (SqliteStore(tmp_path / "ingest.sqlite3") if request.param == "sqlite"
                    else PostgresStore(request.getfixturevalue("pg_dsn")))
    try:
        yield store, _fill(store, recorded)
    finally:
        store.close()


def test_the_report_renders_in_chromium_with_figures_computed_by_hand(filled: Any, tmp_path: Path) -> None:
    store, real = filled
    assert real["session_id"] == "vr-1" and (real["pain_before"], real["pain_after"]) == (7.0, 4.0)
    [health] = [h for h in store.bodies("health") if h.get("prescription")]
    assert health["prescription"] == {"sessions_per_week": 3, "minutes_per_session": 5.0}  # from [prescription]

    result = build(store, tmp_path / "report", Selection(device=DEVICE), fhir=True)

    # By hand: weeks W-2 (3 sessions), W-1 (1, ended early), W (the recorded one); 3 prescribed a week.
    [f] = result.devices
    assert [n for _, n in f.weeks] == [3, 1, 1]
    assert f.compliance == pytest.approx((3 + 1 + 1) / (3 * 3))
    assert f.mean_pain_change == pytest.approx(((5 - 6) + (5 - 5) + (6 - 8) + (7 - 7) + (4 - 7)) / 5)
    levels = real["levels_s"]
    inside = 4 * 900 + levels.get("calm", 0) + levels.get("elevated", 0)
    assert f.tolerance == pytest.approx(inside / (inside + 4 * 300 + levels.get("distressed", 0)))
    assert f.ended_early == 1 and f.sessions == 5

    rows = list(csv.DictReader(result.csv.read_text().splitlines()))
    assert [r["session_id"] for r in rows] == ["hist-0", "hist-1", "hist-2", "hist-3", "vr-1"]
    assert float(rows[-1]["pain_change"]) == -3.0 and rows[3]["completed"] == "False"
    assert int(rows[-1]["minutes_reported"]) >= SESSION_MIN - 1  # the recorded session's minutes are charted

    assert len(result.session_charts) == 5 and all(p.stat().st_size > 10_000 for p in result.session_charts)
    assert image_counts(result.index) == (6, 0)  # a device chart and five session charts, none broken
    shot = screenshot(result.index, tmp_path / "report.png")
    pixels = (mpimg.imread(shot)[..., :3] * 255).astype(int)
    hr_red = np.all(np.abs(pixels - [198, 40, 40]) < 25, axis=-1).sum()  # the heart-rate line's colour
    assert hr_red > 200, "the session chart's heart-rate line is not on the rendered page"

    bundle = json.loads(result.fhir.read_text())  # type: ignore[union-attr]
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 10  # two ratings for each session


def test_the_page_says_when_its_charts_are_missing(recorded: list[tuple[str, bytes]], tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ingest.sqlite3")  # the page's own check; the store does not matter here
    _fill(store, recorded)
    result = build(store, tmp_path / "report", Selection(site=SITE))
    store.close()
    for png in result.session_charts[:2]:
        png.unlink()
    assert image_counts(result.index) == (4, 2)


def test_since_and_device_select_sessions(filled: Any, tmp_path: Path) -> None:
    store, real = filled
    monday = dt.datetime.combine(week_start(real["start"]), dt.time(), dt.UTC).timestamp()
    result = build(store, tmp_path / "r1", Selection(device=DEVICE, since=monday))
    assert [r["session_id"] for r in csv.DictReader(result.csv.read_text().splitlines())] == ["vr-1"]
    assert build(store, tmp_path / "r2", Selection(device="no-such-device")).devices == []
