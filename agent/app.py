"""The running agent: wires drivers, supervisor, analysis, the VR link,
summaries, outbox and sync, and owns the lifecycle: start, stop on
SIGTERM/SIGINT or after a set time, and shut down within a bounded grace
period, closing the books (last minute, open session) on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import signal
import sqlite3
import time
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import structlog

from agent.base.clock import Clock
from agent.base.queues import BoundedQueue, Overflow, QueueClosed
from agent.base.session import SessionEvent
from agent.base.stream import Chunk
from agent.config import AgentConfig
from agent.core.baseline import PatientBaseline, ProfileStore
from agent.core.engine import Core, Decision
from agent.core.features import FeatureExtractor
from agent.core.policy import AdaptationPolicy
from agent.errors import ConfigError
from agent.outputs.outbox import AsyncOutbox, OutboxOptions
from agent.outputs.summaries.health import device_health
from agent.outputs.summaries.records import SessionSummary, SummaryRecord
from agent.outputs.sync.writer import RecordWriter
from agent.outputs.vrlink.recording import EventJournal
from agent.outputs.vrlink.server import VrLinkServer
from agent.runtime import statusfile
from agent.runtime.analysis import Analysis
from agent.runtime.pipeline import Pipeline
from agent.runtime.reporting import SummaryRecorder, health_devices, vr_status
from agent.runtime.service import ServiceLoop
from agent.runtime.snapshot import AgentSnapshot, DeviceSnapshot, QueueSnapshot, frozen_mapping
from agent.runtime.supervisor import Reading, Supervisor
from agent.runtime.updates.hook import open_models
from agent.runtime.updates.slot import SlotSwitch

if TYPE_CHECKING:
    from agent.outputs.sync.worker import SyncWorker  # the MQTT client loads only when [sync] is enabled


# Closing the books (the last minute and session summaries into the outbox, the profile, the journal)
# takes milliseconds on an idle device and seconds on a loaded one; abandoning them early loses those
# summaries. The grace is therefore sized to the service manager's budget (TimeoutStopSec=15 in
# systemd/edge-agent.service) with room to exit, not to an idle machine.
SHUTDOWN_GRACE_S = 10.0
log = structlog.get_logger("edge_agent")


class Agent:
    """Owns the stages and their tasks; nothing downstream calls back upstream."""

    STATUS_EVERY_S = 1.0
    HEALTH_EVERY_S = 300.0
    PROFILE_EVERY_S = 5.0  # how soon a new baseline profile reaches the disk
    PROFILE_RETRY_S = 60.0  # after a failed write (a full disk)

    def __init__(self, config: AgentConfig, clock: Clock, rng: random.Random | None = None) -> None:
        self.config = config
        self.clock = clock
        # Under overload only data chunks are dropped (counted); device and session events always get through.
        self.readings: BoundedQueue[Reading | SessionEvent] = BoundedQueue(
            "readings", config.supervisor.queue_capacity, Overflow.DROP_OLDEST,
            droppable=lambda r: isinstance(r, Chunk),
        )
        self.supervisor = Supervisor(
            config.devices, clock=clock, options=config.supervisor, out=self.readings, rng=rng
        )
        # Summaries are a few a minute; 256 covers hours of a stalled outbox writer.
        self.records: BoundedQueue[SummaryRecord] = BoundedQueue("summaries", 256, Overflow.DROP_OLDEST)
        self.recorder = SummaryRecorder(time.time() - clock.now(), self.records)
        self.models = open_models(config)  # the installed model version (or the packaged one), swappable between ticks
        self.model = self.models.slot
        self.baseline = PatientBaseline(config.top.baseline, ProfileStore(config.baseline_profile))
        self.policy = AdaptationPolicy(self.model, self.baseline, config.top.policy)
        self.core = Core(FeatureExtractor(config.top.features), self.policy)
        self.analysis = Analysis(
            self.core,
            on_frame=[self._publish],
            on_decision=[self.recorder.decision, lambda _: self.recorder.calibration(self.baseline.news)],
            on_event=[self.recorder.device_event],
        )
        self.pipeline = Pipeline(self.readings, [SlotSwitch(self.models.slot), self.analysis])
        self.vrlink: VrLinkServer | None = None
        self.journal: EventJournal | None = None  # the VR events, committed before they are acked
        self.outbox: AsyncOutbox | None = None
        self.sync: SyncWorker | None = None
        self.updater = self.models.updater(config, clock, on_change=self._health_soon)
        self.started_at = clock.now()
        self._health_wanted = asyncio.Event()
        self.latest: AgentSnapshot | None = None  # the snapshot of the current status period
        self._outbox_stats: dict[str, object] | None = None  # as last read, once per status period
        # sd_notify and the status file; tests may swap in their own
        self.service = ServiceLoop(self.snapshot, status_path=statusfile.path_for(config.agent.runtime_dir))

    def current_snapshot(self) -> AgentSnapshot:
        """The snapshot of this status period (a fresh one before the first period)."""
        return self.latest if self.latest is not None else self.snapshot()

    def snapshot(self) -> AgentSnapshot:
        """The agent now, as every status reader sees it (the one place that reads the stages for them)."""
        now = self.clock.now()
        q = self.readings
        return AgentSnapshot(
            t=now,
            wall=time.time(),
            uptime_s=now - self.started_at,
            config_source=self.config.source,
            runtime_dir=self.config.agent.runtime_dir,
            devices=tuple(DeviceSnapshot.of(d) for d in self.supervisor.status.values()),
            decision=self.analysis.latest,
            calibration=float(self.policy.calibration_progress),
            ticks=self.analysis.ticks,
            processed=self.pipeline.processed,
            readings=QueueSnapshot(len(q), q.capacity, q.dropped),
            vrlink=frozen_mapping(self.vrlink.stats()) if self.vrlink is not None else None,
            outbox=frozen_mapping(self._outbox_stats),
            sync=frozen_mapping(dataclasses.asdict(self.sync.status)) if self.sync is not None else None,
            model=MappingProxyType(dict(self.models.status(self.updater))),
        )

    def _publish(self, decision: Decision) -> None:
        if self.vrlink is not None:
            self.vrlink.publish_adaptation(decision.adaptation)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set or every device has finished (recordings played out)."""
        top = self.config.top
        async with contextlib.AsyncExitStack() as stack:
            self.outbox = await stack.enter_async_context(await _open_outbox(top.outbox, top.agent.state_dir))
            if top.vrlink.enabled:
                top.agent.runtime_dir.mkdir(parents=True, exist_ok=True)
                durability = top.outbox.durability.value.upper()  # the journal is as durable as the outbox
                self.journal = await stack.enter_async_context(
                    await EventJournal.in_state_dir(top.agent.state_dir, synchronous=durability)
                )
                self.recorder.restore(await self.journal.recover())  # sessions survive restarts
                self.vrlink = await stack.enter_async_context(
                    VrLinkServer(self.config.vrlink, self.clock, journal=self.journal)
                )
            async with asyncio.TaskGroup() as tg:
                supervisor = tg.create_task(self.supervisor.run(), name="supervisor")
                pipeline = tg.create_task(self.pipeline.run(), name="pipeline")
                writer = tg.create_task(self._write_records(), name="summaries")
                helpers = [
                    tg.create_task(self._status_loop(), name="status"),
                    tg.create_task(self._health_loop(), name="health"),
                    tg.create_task(self._lateness_loop(), name="lateness"),
                    tg.create_task(self._profile_loop(), name="profile"),
                ]
                helpers.append(tg.create_task(self.service.run(stop), name="service"))
                if self.vrlink is not None:
                    helpers.append(tg.create_task(self._app_events(), name="app-events"))
                if top.sync is not None and top.sync.enabled:
                    from agent.outputs.sync.worker import SyncWorker

                    self.sync = SyncWorker(top.sync, self.outbox, self.clock)
                    helpers.append(tg.create_task(self.sync.run(), name="sync"))
                if self.updater is not None:
                    helpers.append(tg.create_task(self.updater.run(), name="model-updates"))
                waiter = tg.create_task(stop.wait(), name="stop")
                await asyncio.wait([waiter, supervisor], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                supervisor.cancel()
                # Let the pipeline finish what is queued, then close the books and store them.
                self.readings.close()
                if stop.is_set():
                    pipeline.cancel()
                await asyncio.wait([pipeline])
                if not stop.is_set():
                    self.analysis.finish()  # the recordings played out: decide the last ticks
                self._save_profile_now()
                self.recorder.close(self.clock.now(), keep_session=self.journal is not None)
                self.records.close()
                await asyncio.wait([writer])
                for task in helpers:
                    task.cancel()

    async def _write_records(self) -> None:
        writer = RecordWriter(self.outbox, *_identity(self.config))  # type: ignore[arg-type]
        while True:
            try:
                record = await self.records.get()
            except QueueClosed:
                return
            key = None
            if self.journal is not None and isinstance(record, SessionSummary):
                key = await self.journal.summary_key(record.session_id)  # the same if a restart rebuilds it
            await writer.write(record, key=key)
            if self.journal is not None and key is not None:
                await self.journal.mark_summarised(record.session_id)  # stored: a restart need not rebuild it

    async def _status_loop(self) -> None:
        """Once per status period: one snapshot, rendered for the VR app, systemd and the status file."""
        # In real time at most a second apart (the status file's readers judge freshness by it), faster when sped up.
        period = self.STATUS_EVERY_S * min(1.0, self.clock.speed)
        loop = asyncio.get_running_loop()
        next_stats = 0.0
        while True:
            if self.outbox is not None and loop.time() >= next_stats:  # a query in a thread: once a real second
                next_stats = loop.time() + self.STATUS_EVERY_S
                with contextlib.suppress(Exception):  # a busy or broken outbox must not stop the status
                    self._outbox_stats = (await self.outbox.stats()).as_dict()
            snap = self.latest = self.snapshot()
            if self.vrlink is not None:
                self.vrlink.publish_status(vr_status(snap))
            await self.service.publish(snap)
            await self.clock.sleep(period)

    async def _health_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # a model update step asks for a record at once
                async with self.clock.timeout(self.HEALTH_EVERY_S):
                    await self._health_wanted.wait()
            self._health_wanted.clear()
            stats = await self.outbox.stats() if self.outbox is not None else None
            snap = self.snapshot()
            self.records.put(device_health(self.clock, self.config.agent.state_dir, health_devices(snap), stats,
                                           model=dict(snap.model),
                                           prescription=self.config.top.prescription))

    async def _lateness_loop(self) -> None:
        """A stream more than ``lateness_s`` behind must not hold every tick back; minutes close behind it."""
        period = self.core.ticker.period
        decided = self.analysis.lateness_s + period  # every tick this far back has been decided
        while True:
            await self.clock.sleep(period)
            now = self.clock.now()
            self.analysis.advance(now)
            self.recorder.tick(now - decided)  # a minute in which nothing arrived is closed and sent too

    async def _profile_loop(self) -> None:
        """Store a new baseline profile off the tick path; a full disk is logged once and retried."""
        failing = False
        while True:
            await self.clock.sleep(self.PROFILE_RETRY_S if failing else self.PROFILE_EVERY_S)
            try:
                saved = await asyncio.to_thread(self.baseline.save_pending)
            except OSError as exc:
                if not failing:
                    log.error("profile_save_failed", path=str(self.config.baseline_profile), error=str(exc),
                              retry_in_s=self.PROFILE_RETRY_S)
                failing = True
                continue
            if saved and failing:
                log.info("profile_saved", path=str(self.config.baseline_profile))
            failing = False

    def _save_profile_now(self) -> None:
        try:
            self.baseline.save_pending()
        except OSError as exc:
            log.error("profile_save_failed", path=str(self.config.baseline_profile), error=str(exc))

    def _health_soon(self) -> None:
        self._health_wanted.set()

    async def _app_events(self) -> None:
        assert self.vrlink is not None
        async for event in self.vrlink.events():
            self.recorder.app_event(event)
            kind = event.message.type
            if kind in ("session_start", "session_end"):
                # in time order with the readings: the core restarts calibration at its tick
                session_id = str(getattr(event.message, "session_id", "") or "")
                self.readings.put(SessionEvent(kind, self.clock.now(), session_id))
            log.info("app_event", type=kind, client=event.client_id)


def _identity(config: AgentConfig) -> tuple[str, str]:
    sync = config.top.sync
    return (sync.site, sync.device) if sync is not None else ("unprovisioned", "unprovisioned")


async def _open_outbox(options: OutboxOptions, state_dir: Path) -> AsyncOutbox:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        return await AsyncOutbox.open(options, state_dir)
    except (OSError, sqlite3.Error) as exc:
        path = options.resolve_path(state_dir)
        raise ConfigError(
            f"cannot open the outbox at {path}: {exc}; set [agent] state_dir or [outbox] path "
            "to a writable place (the systemd unit's StateDirectory=)"
        ) from exc


async def run(agent: Agent, *, duration_s: float | None = None, stop: asyncio.Event | None = None) -> bool:
    """Run ``agent`` until a signal, ``duration_s`` of agent time, or its devices finish.

    Shutdown is bounded: if the stages have not wound down within
    ``SHUTDOWN_GRACE_S`` after the stop, they are abandoned and this returns
    False, so the caller can exit without waiting for them.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _on_signal, stop, sig)
            installed.append(sig)
    timer = None
    if duration_s is not None:
        timer = asyncio.create_task(_stop_after(agent.clock, duration_s, stop))
    task = asyncio.create_task(agent.run(stop))
    stopper = asyncio.create_task(stop.wait())
    clean = True
    try:
        await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            done, _ = await asyncio.wait([task], timeout=SHUTDOWN_GRACE_S)
            if not done:
                log.error("shutdown_timeout", grace_s=SHUTDOWN_GRACE_S)
                task.cancel()
                clean = False
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    finally:
        stopper.cancel()
        if timer is not None:
            timer.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
    log.info("stopped", uptime_s=round(agent.clock.now() - agent.started_at, 2), clean=clean)
    return clean


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("signal", signal=sig.name)
    stop.set()


async def _stop_after(clock: Clock, seconds: float, stop: asyncio.Event) -> None:
    await clock.sleep(seconds)
    stop.set()
