"""A download survives a broker restart: it resumes where it stopped, fetching no finished chunk again."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from agent.base.clock import Clock
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.outputs.sync.options import BrokerOptions, SyncOptions
from agent.runtime.updates import UpdateOptions
from agent.runtime.updates.fetch import Download
from agent.runtime.updates.publish import publish
from agent.runtime.updates.store import ModelStore
from agent.runtime.updates.updater import ModelUpdater
from tests.agent.updates.conftest import signed
from tests.support.model_variants import make_variant
from tests.support.waiting import until
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker


async def test_a_download_resumes_after_the_broker_restarts(tmp_path: Path, backend_key, keys_dir: Path):
    broker = LocalBroker(tmp_path / "broker")
    await broker.start()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    os.chmod(pw, 0o600)
    model = make_variant(tmp_path / "m", "distress-big", pad_bytes=400_000)
    envelope = signed(model, backend_key, 1, chunk_size=1024)
    backend = MqttLink(ConnectParams("127.0.0.1", broker.port, "backend", 30, 5, 60, 64, USERNAME, PASSWORD))
    await backend.connect()
    await publish(backend, envelope, model, prefix="v1", site="s", device="d")
    backend.close()
    sync = SyncOptions(site="s", device="d", broker=BrokerOptions(host="127.0.0.1", port=broker.port, username=USERNAME,
                       password_file=pw, backoff_initial_s=0.05, backoff_max_s=0.2))
    options = UpdateOptions(trusted_keys_dir=keys_dir, shadow_s=0, probation_s=0, chunks_in_flight=4)
    store = ModelStore(tmp_path / "state")
    updater = ModelUpdater(options, sync, store, None, Clock())
    task = asyncio.create_task(updater.run())
    try:
        seen: list[Download] = []

        def downloading() -> bool:
            if updater.download is not None and not seen:
                seen.append(updater.download)
            return bool(seen) and seen[0].written >= 20

        await until(downloading, timeout_s=30, what="20 chunks")
        broker.freeze()
        await broker.stop()  # persisted: the retained chunks come back with it
        download = seen[0]
        total = sum(p.count for p in download.parts)
        before = download.written
        assert 0 < before < total
        await broker.start()
        await until(lambda: (updater.status.last or {}).get("event") == "installed", timeout_s=60, what="installed")
        assert download.written == total  # every chunk stored exactly once across the restart
        assert download.duplicates <= options.chunks_in_flight + 4  # at most what was in flight at the cut
        assert store.resolve().version == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.stop()
