"""Model files from the URL in the signed manifest: a real HTTP server on loopback, ranges, resume, the updater."""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.base.clock import Clock
from agent.errors import SyncError
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.outputs.sync.options import BrokerOptions, SyncOptions
from agent.runtime.updates import UpdateOptions
from agent.runtime.updates.fetch_http import HttpDownload
from agent.runtime.updates.manifest import describe, sign, unverified
from agent.runtime.updates.probe import contract_of, trial_load
from agent.runtime.updates.store import ModelStore
from agent.runtime.updates.updater import ModelUpdater
from tests.support.model_variants import make_variant
from tests.support.waiting import until
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, honouring ``Range: bytes=N-`` (the standard library's handler ignores ranges)."""

    ranges: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not rng or not path.is_file():
            return super().do_GET()
        type(self).ranges.append(rng)
        start = int(rng.removeprefix("bytes=").rstrip("-"))
        data = path.read_bytes()[start:]
        self.send_response(206)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    RangeHandler.ranges = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/models/12"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def envelope(model: Path, key, url: str, version: int = 12) -> bytes:
    m = trial_load(model)
    return sign(describe(model, model_id="distress", version=version, label=m.version, contract=contract_of(m),
                         expires_in_s=600, chunk_size=1024, url=url), [key])


def test_a_partial_http_download_resumes_from_the_first_missing_chunk(tmp_path: Path, served, backend_key):
    root, url = served
    model = make_variant(tmp_path / "m", "distress-http", pad_bytes=20_000)
    env = envelope(model, backend_key, url)
    manifest = unverified(env)
    store = ModelStore(tmp_path / "state")
    staging = store.staging(manifest, env)
    with pytest.raises(SyncError, match="404"):
        HttpDownload(manifest, staging, timeout_s=5).run()  # not served yet
    (root / "models").mkdir()
    os.symlink(model, root / "models" / "12")
    first = HttpDownload(manifest, staging, timeout_s=5)
    part = first.parts[0]
    data = (model / part.entry.name).read_bytes()
    for c in range(3):  # as if killed after three chunks
        part.write(c, data[c * 1024:(c + 1) * 1024])
    again = HttpDownload(manifest, staging, timeout_s=5)
    again.run()
    assert again.done and "bytes=3072-" in RangeHandler.ranges
    assert again.written == sum(p.count for p in again.parts) - 3
    assert store.finish(manifest, staging).version == 12


async def test_the_updater_installs_from_the_manifest_url_with_no_chunks_on_the_broker(
        tmp_path: Path, served, backend_key, keys_dir: Path):
    root, url = served
    model = make_variant(tmp_path / "m", "distress-http")
    (root / "models").mkdir()
    os.symlink(model, root / "models" / "12")
    broker = LocalBroker(tmp_path / "broker")
    await broker.start()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    os.chmod(pw, 0o600)
    link = MqttLink(ConnectParams("127.0.0.1", broker.port, "backend", 30, 5, 60, 64, USERNAME, PASSWORD))
    await link.connect()
    await link.publish("v1/s/d/cmd/model", envelope(model, backend_key, url), retain=True)  # the manifest only
    link.close()
    sync = SyncOptions(site="s", device="d", broker=BrokerOptions(host="127.0.0.1", port=broker.port,
                                                                  username=USERNAME, password_file=pw))
    store = ModelStore(tmp_path / "state")
    updater = ModelUpdater(UpdateOptions(trusted_keys_dir=keys_dir, shadow_s=0, probation_s=0), sync, store, None,
                           Clock())
    task = asyncio.create_task(updater.run())
    try:
        await until(lambda: (updater.status.last or {}).get("event") == "installed", timeout_s=30, what="installed")
        assert store.resolve().version == 12 and RangeHandler.ranges  # fetched over HTTP, with ranges
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.stop()
