"""The model updater: owns its MQTT subscription, stages and checks updates, asks the agent to swap.

::

    connection loop: connect ─▶ subscribe manifest topics ─▶ dispatch messages (manifests, chunks)
                     lost ─▶ back off with jitter, reconnect (a download resumes from its .have files)
    worker:          best offer ─▶ verify (signature, expiry) ─▶ version / pin / contract / size
                     ─▶ download ─▶ every hash ─▶ versions/{v} ─▶ test-load + probe
                     ─▶ shadow (shadow_s, shadow_min_ticks) ─▶ swap: link on disk, then the slot at a tick boundary
                     ─▶ probation (probation_s): commit, or roll back on error / NaN / silence

Each step is in :attr:`ModelUpdater.status` (``edge-agent status``) and the
store's history; ``on_change`` is called after each outcome so the agent
can send a health record at once. A refusal is remembered by the
manifest's digest, so a retained bad manifest is reported once, and a
newer manifest is always considered: a broken update never blocks the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
import structlog

from agent.base.clock import Clock
from agent.base.queues import QueueClosed
from agent.errors import SyncError, UpdateRefused
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.outputs.sync.options import SyncOptions
from agent.runtime.updates import UpdateOptions
from agent.runtime.updates.fetch import Download
from agent.runtime.updates.fetch_http import HttpDownload
from agent.runtime.updates.keys import load_trusted
from agent.runtime.updates.manifest import Manifest, digest, verify
from agent.runtime.updates.probe import check_contract, trial_load
from agent.runtime.updates.slot import ModelSlot, Request
from agent.runtime.updates.status import Superseded, UpdaterStatus
from agent.runtime.updates.store import Installed, ModelStore
from agent.runtime.updates.topics import manifest_topics

if TYPE_CHECKING:
    from agent.core.features import FeatureConfig

log = structlog.get_logger("edge_agent.updates")
POLL_S = 0.05  # how often shadow and probation look at the slot's figures


class ModelUpdater:
    def __init__(self, options: UpdateOptions, sync: SyncOptions, store: ModelStore, slot: ModelSlot | None,
                 clock: Clock, *, on_change: Callable[[], None] | None = None, rng: random.Random | None = None,
                 features: FeatureConfig | None = None) -> None:
        self.options = options
        self.features = features  # the running [features] settings: an update trained with others is named
        self.sync = sync
        self.store = store
        self.slot = slot  # None: no running agent (a harness); swaps are then made on disk only
        self.clock = clock
        self.on_change = on_change
        self.status = UpdaterStatus(pin=options.pin)
        self._backoff = sync.broker.new_backoff(rng)
        self._offers: dict[str, bytes] = {}  # manifest topic -> retained envelope
        self._offer_changed = asyncio.Event()
        self._link: MqttLink | None = None
        self._connected = asyncio.Event()
        self.download: Download | None = None
        self._linked_version = store.linked_version()
        self._said: set[str] = set()  # outcomes reported once per manifest (a pin's "ignored")

    @property
    def active_version(self) -> int:
        return self.slot.active_version if self.slot is not None else self._linked_version

    def snapshot(self) -> dict[str, Any]:
        """For status.json and health records: the slot's view plus this updater's."""
        s = self.status
        out: dict[str, Any] = {"state": s.state, "pin": s.pin, "offered": s.offered, "progress": dict(s.progress),
                               "last": s.last, "timings_s": dict(s.timings_s), "broker_error": s.broker_error}
        out.update(self.slot.status() if self.slot is not None else {"active_version": self.active_version})
        out["history"] = self.store.state().get("history", [])[-5:]
        return out

    # -- running -------------------------------------------------------------

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._connection_loop(), name="updates-link")
            tg.create_task(self._worker(), name="updates-worker")

    def _params(self) -> ConnectParams:
        b = self.sync.broker
        return ConnectParams(
            host=b.host, port=b.port, client_id=f"{self.sync.mqtt_client_id}-models", keepalive_s=b.keepalive_s,
            connect_timeout_s=b.connect_timeout_s, session_expiry_s=0,  # no session: retained messages carry it all
            receive_maximum=self.options.chunks_in_flight + 4, username=b.username, password=b.password(),
            tls=b.tls.context() if b.tls is not None else None,
        )

    async def _connection_loop(self) -> None:
        while True:
            link = None
            try:
                link = MqttLink(self._params(), manual_ack=True)
                await link.connect()
                await link.subscribe(manifest_topics(self.sync.topic_prefix, self.sync.site, self.sync.device))
                self._link, self.status.broker_error = link, None
                self._connected.set()
                self._backoff.reset()
                if self.status.state in ("starting", "connecting", "backoff"):
                    self.status.state = "idle"
                await self._read(link)
            except (SyncError, OSError, ValueError) as exc:  # ValueError: the password file's mode changed
                self.status.broker_error = str(exc)
                log.warning("updates.unavailable", error=str(exc))
            finally:
                self._connected.clear()
                self._link = None
                if link is not None:
                    link.close()
            await self.clock.sleep(self._backoff.next_delay())

    async def _read(self, link: MqttLink) -> None:
        manifest_topics_ = set(manifest_topics(self.sync.topic_prefix, self.sync.site, self.sync.device))
        while True:
            try:
                message: mqtt.MQTTMessage = await link.messages.get()
            except QueueClosed:
                assert link.lost is not None
                raise link.lost.result() if link.lost.done() else SyncError("updates link closed") from None
            try:
                if message.topic in manifest_topics_:
                    payload = bytes(message.payload)
                    if payload and self._offers.get(message.topic) != payload:
                        self._offers[message.topic] = payload
                        self._offer_changed.set()
                elif self.download is not None:
                    self.download.feed(message)
            except UpdateRefused as exc:  # a chunk of the wrong size: the worker sees the hash fail
                log.warning("updates.bad_chunk", topic=message.topic, error=str(exc))
            link.ack(message)

    async def _wait_link(self) -> MqttLink:
        while self._link is None:
            await self._connected.wait()
        return self._link

    # -- the worker ----------------------------------------------------------

    async def _worker(self) -> None:
        probation = self.store.state().get("probation") or {}
        if (self.slot is not None and self.slot.mode == "probation") or (
                self.slot is None and probation.get("version") == self._linked_version != 0):
            await self._resume_probation()
        while True:
            await self._offer_changed.wait()
            self._offer_changed.clear()
            picked = None
            try:
                picked = self._best_offer()
                if picked is not None:
                    await self._install(*picked)
            except Superseded:
                self._offer_changed.set()
            except UpdateRefused as exc:
                self._refused(exc, picked[1] if picked is not None else None)
            except Exception as exc:  # a disk error, a bug: an update must never take the agent down
                log.exception("updates.failed", version=picked[0].version if picked else None)
                self._outcome("failed", picked[0].version if picked else None, f"{type(exc).__name__}: {exc}",
                              persist=True)
                if self.slot is not None and self.slot.mode == "shadow":
                    self.slot.request(Request("stop-shadow"))
                await self.clock.sleep(self._backoff.next_delay())  # and the next attempt is not a tight loop
                self._offer_changed.set()
            finally:
                self.download = None
                self.status.offered, self.status.progress = None, {}
                if self.status.state not in ("backoff", "connecting"):
                    self.status.state = "idle" if self._link is not None else "connecting"

    def _best_offer(self) -> tuple[Manifest, bytes] | None:
        """The highest acceptable manifest on offer; refusals are recorded on the way (once per digest)."""
        best: tuple[Manifest, bytes] | None = None
        trusted = load_trusted(self.options.trusted_keys_dir)
        for envelope in list(self._offers.values()):
            try:
                manifest = self._acceptable(envelope, trusted)
            except UpdateRefused as exc:
                self._refused(exc, envelope)
                continue
            if manifest is not None and (best is None or manifest.version > best[0].version):
                best = manifest, envelope
        return best

    def _acceptable(self, envelope: bytes, trusted: dict[str, Any]) -> Manifest | None:
        d = digest(envelope)
        if self.store.refused_digest(d):
            return None  # reported when it was refused
        manifest = verify(envelope, trusted)
        v, active = manifest.version, self.active_version
        if v == active and (active == 0 or self.store.digest_of(v) == d):
            return None  # what runs now (its retained manifest comes back at every connect)
        if manifest.model_id != self.options.model_id:
            raise UpdateRefused("malformed", f"manifest for model {manifest.model_id!r}, this agent runs "
                                f"{self.options.model_id!r}", version=v)
        pin = self.options.pin
        if pin is not None and v != pin:
            self._outcome("ignored", v, f"pinned to version {pin} ([updates] pin)", persist=False, once_key=d)
            return None
        if v <= active and pin is None:
            raise UpdateRefused("older", f"version {v} is not newer than the running {active}", version=v)
        check_contract(manifest.contract, v)
        if manifest.total_bytes > self.options.max_model_bytes:
            raise UpdateRefused("too-large", f"{manifest.total_bytes} bytes, more than [updates] max_model_bytes "
                                f"{self.options.max_model_bytes}", version=v)
        return manifest

    async def _install(self, manifest: Manifest, envelope: bytes) -> None:
        v = manifest.version
        self.status.offered, self.status.timings_s = v, {}
        started = time.monotonic()
        self._outcome("offered", v, f"{manifest.label}, {manifest.total_bytes} bytes", persist=True)
        free = shutil.disk_usage(self.store.root).free
        if free < manifest.total_bytes * 2 + (16 << 20):
            raise UpdateRefused("disk", f"{free} bytes free, {manifest.total_bytes} needed (twice, plus 16 MB)", version=v)
        installed = await asyncio.to_thread(self.store.already_installed, manifest, envelope)
        if installed is None:
            installed = await self._fetch(manifest, envelope, started)
        self.status.state, mark = "test-load", time.monotonic()
        try:
            model = await asyncio.to_thread(trial_load, installed.directory, manifest.contract, v)
        except UpdateRefused:
            await asyncio.to_thread(shutil.rmtree, installed.directory, True)
            raise
        self.status.timings_s["test_load"] = round(time.monotonic() - mark, 3)
        differ = model.meta.settings_differ(self.features) if self.features is not None else []
        if differ:  # it still installs, as it would start: its z-scores may not mean what it learned
            log.warning("model.feature_settings_differ", model=v, settings=differ)
            self._outcome("settings-differ", v, "; ".join(differ), persist=True)
        self.store.remember_digest(v, digest(envelope))
        await self._shadow(model, v)
        await self._swap(model, v)
        self.status.timings_s["total"] = round(time.monotonic() - started, 3)
        await self._probation(v)

    async def _fetch(self, manifest: Manifest, envelope: bytes, started: float) -> Installed:
        """Download the missing chunks (resuming what is staged), then check every hash and move into versions/."""
        staging = self.store.staging(manifest, envelope)
        self.status.state = "downloading"
        if manifest.url is not None:
            await self._fetch_http(manifest, staging)
        else:
            await self._fetch_mqtt(manifest, staging)
        self.status.timings_s["download"] = round(time.monotonic() - started, 3)
        self.status.state, mark = "verifying", time.monotonic()
        installed = await asyncio.to_thread(self.store.finish, manifest, staging)
        self.status.timings_s["verify"] = round(time.monotonic() - mark, 3)
        return installed

    async def _fetch_http(self, manifest: Manifest, staging: Path) -> None:
        http = HttpDownload(manifest, staging)
        while not http.done:
            self.status.progress = {"have": http.have_bytes, "total": manifest.total_bytes}
            try:
                await asyncio.to_thread(http.run)
            except SyncError as exc:  # resumes from what is staged after a backoff
                self.status.broker_error = str(exc)
                log.warning("updates.fetch_failed", error=str(exc))
                await self.clock.sleep(self._backoff.next_delay())
                self._check_superseded(manifest.version)

    async def _fetch_mqtt(self, manifest: Manifest, staging: Path) -> None:
        v = manifest.version
        self.download = Download(manifest, staging, self.sync.topic_prefix, self.options.chunks_in_flight)
        self.status.progress = {"have": self.download.have_bytes, "total": manifest.total_bytes}
        while not self.download.done:
            link = await self._wait_link()
            self._check_superseded(v)
            pumping = asyncio.ensure_future(self.download.pump(link))
            newer = asyncio.ensure_future(self._offer_changed.wait())
            try:
                await asyncio.wait([pumping, newer], return_when=asyncio.FIRST_COMPLETED)
            finally:
                newer.cancel()
                if not pumping.done():
                    pumping.cancel()
                    with contextlib.suppress(asyncio.CancelledError, SyncError):
                        await pumping
            if pumping.done() and not pumping.cancelled() and isinstance(pumping.exception(), SyncError):
                continue  # the link is gone: wait for the next one and resume
            if pumping.done() and not pumping.cancelled() and pumping.exception() is not None:
                raise pumping.exception()  # type: ignore[misc]
            self._check_superseded(v)
            self.status.progress = {"have": self.download.have_bytes, "total": manifest.total_bytes}

    def _check_superseded(self, v: int) -> None:
        if self._offer_changed.is_set():
            self._offer_changed.clear()  # evaluated now; anything not better is refused or waits its turn
            best = self._best_offer()
            if best is not None and best[0].version > v:
                self._outcome("superseded", v, f"by version {best[0].version}", persist=True)
                raise Superseded

    async def _shadow(self, model: Any, v: int) -> None:
        o, slot = self.options, self.slot
        if slot is None or o.shadow_s == 0:
            return
        self.status.state = "shadow"
        await self._ask(Request("shadow", model, v))
        started = self.clock.now()
        c = slot.comparison
        while self.clock.now() - started < o.shadow_s or c.ticks < o.shadow_min_ticks:
            problem = None
            if c.errors:
                problem = ("shadow", f"errors in shadow: {c.last_error}")
            elif c.nan:
                problem = ("nan", f"non-finite distress in {c.nan} of {c.ticks} shadow ticks")
            elif c.silent_streak > o.max_no_vote_ticks:
                problem = ("shadow", f"no vote for {c.silent_streak} ticks while the current model voted")
            if problem is not None:
                await self._ask(Request("stop-shadow"))
                raise UpdateRefused(problem[0], problem[1] + f"; shadow: {c.as_dict()}", version=v)
            await self.clock.sleep(POLL_S)
        if c.agreement is not None and c.agreement < o.min_agreement:
            await self._ask(Request("stop-shadow"))
            raise UpdateRefused("shadow", f"agreement {c.agreement:.2f} below [updates] min_agreement "
                                f"{o.min_agreement}", version=v)
        self.status.timings_s["shadow"] = round(self.clock.now() - started, 3)
        self._outcome("shadow-passed", v, str(c.as_dict()), persist=True)

    async def _swap(self, model: Any, v: int) -> None:
        previous = self.active_version
        self.store.swap(v, previous)  # on disk first: a crash from here on restarts into the new one, on probation
        self._linked_version = v
        if self.slot is not None:
            await self._ask(Request("promote", model, v))
        self._outcome("swapped", v, f"from version {previous}", persist=False)

    async def _resume_probation(self) -> None:
        self._outcome("probation-resumed", self.active_version, "restarted during probation", persist=False)
        await self._probation(self.active_version)

    async def _probation(self, v: int) -> None:
        self.status.state = "probation"
        started = self.clock.now()
        while self.clock.now() - started < self.options.probation_s:
            if self.slot is not None and self.slot.failure is not None:
                why = self.slot.failure
                back = self.store.rollback(v, why)
                self._linked_version = back
                await self._ask(Request("rollback", reason=why))
                self._outcome("rolled-back", v, f"to version {back}: {why}", persist=False)
                return
            await self.clock.sleep(POLL_S)
        if self.slot is not None:
            await self._ask(Request("commit"))
        self.store.commit(v)
        self._outcome("installed", v, "probation passed", persist=False)

    async def _ask(self, req: Request) -> None:
        """Hand a request to the slot and wait until the agent applied it at a tick boundary."""
        if self.slot is None:
            return
        req.done = asyncio.get_running_loop().create_future()
        self.slot.request(req)
        await req.done

    # -- reporting -----------------------------------------------------------

    def _refused(self, exc: UpdateRefused, envelope: bytes | None = None) -> None:
        d = digest(envelope) if envelope is not None else ""
        if exc.reason == "disk":  # may pass later: not remembered
            self._outcome(f"refused:{exc.reason}", exc.version, str(exc), persist=True)
            return
        self.store.refuse(exc.version, d, exc.reason, str(exc))
        self._report(f"refused:{exc.reason}", exc.version, str(exc))

    def _outcome(self, event: str, version: int | None, detail: str, *, persist: bool, once_key: str | None = None) -> None:
        if once_key is not None:
            if once_key in self._said:
                return
            self._said.add(once_key)
        if persist:
            self.store.note(event, version, detail)
        self._report(event, version, detail)

    def _report(self, event: str, version: int | None, detail: str) -> None:
        self.status.last = {"event": event, "version": version, "detail": detail, "t": round(time.time(), 3)}
        log.info("updates." + event.split(":")[0], version=version, detail=detail)
        if self.on_change is not None:
            self.on_change()
