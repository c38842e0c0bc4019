"""One immutable snapshot per status period; every status reader renders it, none reads the agent."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from agent import app
from agent.base.clock import Clock
from agent.commands.cli import liveview
from agent.config import AgentConfig, AgentSection, FileConfig
from agent.outputs.vrlink.options import VrLinkOptions
from agent.runtime import statusfile
from agent.runtime.reporting import health_devices, vr_status
from agent.runtime.status import DeviceState
from agent.runtime.supervisor import DeviceSpec
from tests.support.scripted import MISSING_LIBRARY, SCRIPTED, ScriptedOptions
from tests.support.waiting import until


def make_agent(tmp: Path) -> app.Agent:
    top = FileConfig(
        agent=AgentSection(state_dir=tmp / "state", runtime_dir=tmp / "run"),
        vrlink=VrLinkOptions(enabled=False),
    )
    devices = [DeviceSpec("ramp", SCRIPTED, ScriptedOptions()), DeviceSpec("vendor", MISSING_LIBRARY, ScriptedOptions())]
    return app.Agent(AgentConfig("test.toml", top, devices), Clock())


async def test_a_snapshot_stays_as_taken_while_the_agent_moves_on(tmp_path: Path) -> None:
    agent = make_agent(tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(agent, stop=stop))
    try:
        await until(lambda: agent.supervisor.status["ramp"].streams.get("ramp") is not None
                    and agent.supervisor.status["ramp"].streams["ramp"].samples > 0, what="the first samples")
        snap = agent.snapshot()
        taken = snap.samples
        await until(lambda: agent.snapshot().samples > taken, what="more samples")
        assert snap.samples == taken  # a copy, not a view of the live counters
        with pytest.raises(dataclasses.FrozenInstanceError):
            snap.ticks = 0  # type: ignore[misc]
        with pytest.raises(TypeError):
            snap.model["state"] = "changed"  # type: ignore[index]
        await until(lambda: agent.latest is not None, what="the first status period")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_every_reader_renders_the_same_snapshot(tmp_path: Path) -> None:
    agent = make_agent(tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(agent, stop=stop))
    try:
        await until(lambda: agent.service.ready, what="READY")
        # READY means connected; the snapshot is taken once the ramp has delivered, so every reader has rows
        await until(lambda: agent.supervisor.status["ramp"].streams, what="the ramp's first chunk")
        snap = agent.snapshot()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    ramp = next(d for d in snap.devices if d.device_id == "ramp")
    vendor = next(d for d in snap.devices if d.device_id == "vendor")
    assert vendor.state is DeviceState.UNAVAILABLE

    data = statusfile.render(snap, "running", ready=True)
    rows = {d["device_id"]: d for d in data["devices"]}
    assert rows["ramp"]["streams"]["ramp"]["samples"] == ramp.samples
    assert rows["vendor"]["state"] == "unavailable"
    assert data["written_at"] == snap.wall and data["ticks"] == snap.ticks and data["config"] == "test.toml"

    frame = vr_status(snap)
    assert [s["id"] for s in frame["sensors"]] == ["ramp", "vendor"]  # type: ignore[index]
    assert frame["sensors"][1]["state"] == "disconnected"  # type: ignore[index]

    assert snap.summary().startswith(f"{snap.streaming}/2 sensors streaming")
    assert set(health_devices(snap)) == {"ramp", "vendor"}
    assert not health_devices(snap)["vendor"].connected

    table = "\n".join(liveview.render(snap, colour=False))
    assert "ramp" in table and "unavailable" in table and "config test.toml" in table
