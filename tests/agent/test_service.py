"""The service loop inside a running agent: READY, a watchdog that stops when the pipeline stalls, the status file."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from agent import app
from agent.base.clock import Clock
from agent.config import AgentConfig, AgentSection, FileConfig
from agent.outputs.vrlink.options import VrLinkOptions
from agent.runtime import statusfile
from agent.runtime.notify import Notifier
from agent.runtime.service import ServiceLoop
from agent.runtime.status import DeviceState
from agent.runtime.supervisor import DeviceSpec, SupervisorOptions
from tests.support.notify_socket import NotifyReceiver
from tests.support.scripted import MISSING_LIBRARY, SCRIPTED, ScriptedOptions
from tests.support.waiting import until


def make_agent(tmp: Path, devices: list[DeviceSpec]) -> app.Agent:
    top = FileConfig(
        agent=AgentSection(state_dir=tmp / "state", runtime_dir=tmp / "run"),
        supervisor=SupervisorOptions(stall_floor_s=0.5, first_chunk_timeout_s=1.0, backoff_initial_s=5.0),
        vrlink=VrLinkOptions(enabled=False),
    )
    return app.Agent(AgentConfig("test", top, devices), Clock())


@contextlib.asynccontextmanager
async def running(agent: app.Agent) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(agent, stop=stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def pipeline_task() -> asyncio.Task:
    return next(t for t in asyncio.all_tasks() if t.get_name() == "pipeline")


async def test_watchdog_pings_stop_when_the_pipeline_stops_consuming(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    agent = make_agent(tmp_path, [DeviceSpec("ramp", SCRIPTED, ScriptedOptions())])
    agent.service = ServiceLoop(agent.snapshot, Notifier(receiver.env(watchdog_s=1.0)))
    try:
        async with running(agent):
            await receiver.until_async(lambda ms: sum("WATCHDOG" in m for m in ms) >= 2, what="two pings")
            pipeline_task().cancel()  # samples keep arriving; nothing analyses them any more
            # ticks made before the cancel may still earn one ping; from the first withheld one on, none
            await until(lambda: agent.service.watchdog.withheld >= 1, what="a withheld ping")
            pings = agent.service.watchdog.pings
            await until(lambda: agent.service.watchdog.withheld >= 6, what="six withheld pings")
            assert agent.service.watchdog.pings == pings
            assert len(agent.readings) > 0  # the data is there: a stall, not an idle agent
            await receiver.until_async(lambda ms: sum("WATCHDOG" in m for m in ms) >= pings, what="every ping sent")
    finally:
        receiver.close()
    assert receiver.count("READY") == 1
    assert receiver.count("WATCHDOG") == pings


async def test_an_idle_agent_keeps_pinging_while_the_supervisor_retries(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    quiet = ScriptedOptions(sessions=("stall",), after=3)  # streams a little, then goes silent
    agent = make_agent(tmp_path, [DeviceSpec("strap", SCRIPTED, quiet)])
    agent.service = ServiceLoop(agent.snapshot, Notifier(receiver.env(watchdog_s=1.0)))
    try:
        async with running(agent):
            device = agent.supervisor.status["strap"]
            await until(lambda: device.disconnects >= 1, what="the stall to be detected")
            pings = agent.service.watchdog.pings
            await until(lambda: agent.service.watchdog.pings >= pings + 3, what="pings while idle")
            assert device.state is DeviceState.BACKOFF
    finally:
        receiver.close()


async def test_ready_waits_for_devices_to_connect_but_not_for_devices_that_cannot_run(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    agent = make_agent(tmp_path, [
        DeviceSpec("ramp", SCRIPTED, ScriptedOptions()),
        DeviceSpec("vendor", MISSING_LIBRARY, ScriptedOptions()),
        DeviceSpec("typo", SCRIPTED, ScriptedOptions(channel="w")),  # misconfigured on connecting
    ])
    agent.service = ServiceLoop(agent.snapshot, Notifier(receiver.env()))
    try:
        async with running(agent):
            msgs = await receiver.until_async(lambda ms: any("READY" in m for m in ms), what="READY")
            assert agent.supervisor.status["ramp"].state is DeviceState.STREAMING  # connected; data may follow
            assert agent.supervisor.status["vendor"].state is DeviceState.UNAVAILABLE
            assert agent.supervisor.status["typo"].state is DeviceState.MISCONFIGURED
            assert next(m for m in msgs if "READY" in m)["STATUS"].startswith("1/3 sensors streaming")
    finally:
        receiver.close()


async def test_ready_does_not_wait_for_a_connected_device_s_first_samples(tmp_path: Path) -> None:
    """Start-up is done once the device is connected: a strap's first beat interval can take seconds."""
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    silent = ScriptedOptions(sessions=("stall",), after=0)  # connects, then sends nothing
    agent = make_agent(tmp_path, [DeviceSpec("quiet", SCRIPTED, silent)])
    agent.service = ServiceLoop(agent.snapshot, Notifier(receiver.env()), start_timeout_s=3600.0)
    try:
        async with running(agent):
            await receiver.until_async(lambda ms: any("READY" in m for m in ms), what="READY without data")
            assert all(s.samples == 0 for s in agent.supervisor.status["quiet"].streams.values())
    finally:
        receiver.close()


async def test_ready_is_sent_after_the_start_timeout_when_a_device_keeps_failing(tmp_path: Path) -> None:
    receiver = NotifyReceiver(tmp_path / "notify.sock")
    agent = make_agent(tmp_path, [DeviceSpec("off", SCRIPTED, ScriptedOptions(refuse_connects=1000))])
    agent.service = ServiceLoop(agent.snapshot, Notifier(receiver.env()), start_timeout_s=0.3)
    try:
        async with running(agent):
            await receiver.until_async(lambda ms: any("READY" in m for m in ms), what="READY after the timeout")
            assert agent.supervisor.status["off"].state is DeviceState.BACKOFF
    finally:
        receiver.close()


async def test_the_status_file_is_written_atomically_and_says_stopped_at_the_end(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, [DeviceSpec("ramp", SCRIPTED, ScriptedOptions(eda=True))])
    path = statusfile.path_for(tmp_path / "run")
    async with running(agent):
        await until(lambda: path.exists() and json.loads(path.read_text())["ticks"] > 0, what="a status with ticks")
        reading = statusfile.read(path)
        assert reading.live, reading.problem
        assert reading.data["devices"][0]["device_id"] == "ramp"
        assert reading.data["devices"][0]["streams"]["ramp"]["samples"] > 0
        assert reading.data["outbox"]["records"] >= 0
        assert oct(path.stat().st_mode & 0o777) == "0o640"
    reading = statusfile.read(path)
    assert reading.data["state"] == "stopped" and not reading.live
    assert "stopped" in reading.problem
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]  # no temporary files left behind


async def test_the_status_file_says_starting_while_ready_waits_for_a_device(tmp_path: Path) -> None:
    agent = make_agent(tmp_path, [DeviceSpec("off", SCRIPTED, ScriptedOptions(refuse_connects=1000))])
    path = statusfile.path_for(tmp_path / "run")
    agent.service = ServiceLoop(agent.snapshot, Notifier({}), status_path=path, start_timeout_s=60.0)
    async with running(agent):
        await until(path.exists, what="a status file before READY")
        data = json.loads(path.read_text())
        assert (data["state"], data["ready"]) == ("starting", False) and not agent.service.ready
        assert data["devices"][0]["device_id"] == "off"
