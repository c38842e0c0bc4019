"""The whole agent on simulated sensors: a VR app connected to its real socket gets
adaptations and status, reports a session with pain ratings, and the session's
summary lands in the durable outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent import config as agent_config
from agent.app import Agent, run
from agent.base.adaptation import Level
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.outputs.outbox import Outbox, RecordKind
from agent.outputs.sync.codec import decode_record
from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.messages import AdaptationMessage, PainRating, SessionEnd, SessionStart, StatusMessage

CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[baseline]
calibration_s = 20
[devices.chest-strap]
driver = "sim-chest-strap"
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 32
[devices.eeg-headset]
driver = "sim-eeg"
"""


async def test_vr_app_gets_adaptations_and_its_session_is_summarised(tmp_path: Path):
    cfg = tmp_path / "agent.toml"
    cfg.write_text(CONFIG.format(tmp=tmp_path))
    config = agent_config.load(cfg, Registry())
    agent = Agent(config, Clock(speed=10))
    stop = asyncio.Event()
    running = asyncio.create_task(run(agent, stop=stop))
    try:
        async with asyncio.timeout(60):
            while not config.vrlink.socket_path.exists():
                await asyncio.sleep(0.01)
            async with await VrLinkClient.connect_unix(config.vrlink.socket_path, clock=agent.clock) as app:
                await app.send(SessionStart(session_id="s1", protocol_id="p1", scene_id="forest", id="1"))
                await app.send(PainRating(session_id="s1", nrs=6, phase="before", id="2"))
                adaptations: list[AdaptationMessage] = []
                statuses: list[StatusMessage] = []
                async for msg in app.messages():
                    if isinstance(msg, AdaptationMessage):
                        adaptations.append(msg)
                    elif isinstance(msg, StatusMessage):
                        statuses.append(msg)
                    # until calibration is over (the skin's, once its 60-s windows fill, after the heart's and
                    # EEG's 20 s) and the policy has spoken for a while
                    done = bool(statuses) and statuses[-1].calibration.state == "done"
                    if done and len([a for a in adaptations if a.level is not Level.HOLD]) >= 20:
                        break
                await app.send(PainRating(session_id="s1", nrs=3, phase="after", id="3"))
                await app.send(SessionEnd(session_id="s1", reason="completed", id="4"))
                while agent.recorder.sessions._open is not None:  # the agent has recorded the end
                    await asyncio.sleep(0.01)
    finally:
        stop.set()
        await running

    seqs = [a.seq for a in adaptations]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert adaptations[0].level is Level.HOLD and "calibrating" in adaptations[0].reasons[0]
    live = [a for a in adaptations if a.level is not Level.HOLD]
    assert all(a.confidence > 0 and a.reasons and a.ttl_s > 0 for a in live)
    assert {s.id for s in statuses[-1].sensors} == {"chest-strap", "gsr-band", "eeg-headset"}
    assert statuses[-1].calibration.state == "done"
    # each sensor's own quality index, from the feature group it feeds, agrees with the overall quality
    assert statuses[-1].quality == "good" and all((s.quality or 0.0) >= 0.5 for s in statuses[-1].sensors)

    outbox = Outbox.open(config.top.outbox.resolve_path(config.agent.state_dir), max_bytes=1 << 24)
    try:
        records = [decode_record(r.payload) for r in outbox.pending(1000)]
    finally:
        outbox.close()
    sessions = [r.body for r in records if r.kind is RecordKind.SESSION]
    assert len(sessions) == 1
    s = sessions[0]
    assert (s.session_id, s.scene, s.completed) == ("s1", "forest", True)
    assert (s.pain_before, s.pain_after) == (6.0, 3.0)
    # the session's own calibration, begun at its start: 20 s of trustworthy data per sensor, the skin's last
    assert s.calibration.source == "fresh" and s.calibration.ok and s.calibration.duration_s >= 20
    assert s.adaptations >= len(live)
    minutes = [r.body for r in records if r.kind is RecordKind.MINUTE]
    assert all(m.session_id in (None, "s1") for m in minutes)  # complete minutes only; the partial last one is not sent
