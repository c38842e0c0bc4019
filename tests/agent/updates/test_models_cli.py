"""``edge-agent models``: keygen, sign (after a test-load), publish to a real broker, trust, rollback; the status line."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.main import main
from agent.commands.cli.status import model_lines
from agent.errors import EX_CONFIG
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.runtime.updates.keys import load_trusted
from agent.runtime.updates.manifest import unverified, verify
from agent.runtime.updates.store import ModelStore
from tests.support.model_variants import make_variant, nan_everywhere
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker


def cli(*args: str):
    result = CliRunner().invoke(main, ["models", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_keygen_sign_trust_and_a_model_that_fails_its_test_load_is_never_signed(tmp_path: Path):
    assert cli("keygen", str(tmp_path / "b.key")).exit_code == 0
    assert cli("keygen", str(tmp_path / "b.key")).exit_code == EX_CONFIG  # never overwritten
    model = make_variant(tmp_path / "m", "distress-7.0.0")
    r = cli("sign", str(model), "--key", str(tmp_path / "b.key"), "--version", "7", "--out", str(tmp_path / "m.json"))
    assert r.exit_code == 0, r.output
    assert cli("trust", str(tmp_path / "b.pub"), "--keys-dir", str(tmp_path / "trusted")).exit_code == 0
    manifest = verify((tmp_path / "m.json").read_bytes(), load_trusted(tmp_path / "trusted"))
    assert (manifest.version, manifest.label) == (7, "distress-7.0.0")
    assert {f.name for f in manifest.files} == {"distress.onnx"}
    broken = make_variant(tmp_path / "nan", "distress-nan", graph=nan_everywhere)
    r = cli("sign", str(broken), "--key", str(tmp_path / "b.key"), "--version", "8", "--out", str(tmp_path / "n.json"))
    assert r.exit_code == EX_CONFIG and "probe" in r.output and not (tmp_path / "n.json").exists()


def test_publish_puts_every_chunk_and_then_the_manifest_on_the_broker_retained(tmp_path: Path):
    cli("keygen", str(tmp_path / "b.key"))
    model = make_variant(tmp_path / "m", "distress-7.0.0")
    cli("sign", str(model), "--key", str(tmp_path / "b.key"), "--version", "7", "--chunk-size", "1024",
        "--out", str(tmp_path / "m.json"))
    broker = LocalBroker(tmp_path / "broker")
    (tmp_path / "pw").write_text(PASSWORD)
    os.chmod(tmp_path / "pw", 0o600)

    async def go() -> list[str]:
        await broker.start()
        try:
            r = await asyncio.to_thread(
                cli, "publish", str(model), "--manifest", str(tmp_path / "m.json"), "--site", "clinic",
                "--host", "127.0.0.1", "--port", str(broker.port), "--username", USERNAME,
                "--password-file", str(tmp_path / "pw"))
            assert r.exit_code == 0, r.output
            link = MqttLink(ConnectParams("127.0.0.1", broker.port, "reader", 30, 5, 60, 64, USERNAME, PASSWORD))
            await link.connect()
            await link.subscribe(["v1/clinic/_site/cmd/model", "v1/_models/distress/7/#"])
            expected = 1 + sum(unverified((tmp_path / "m.json").read_bytes()).chunks(f) for f in
                               unverified((tmp_path / "m.json").read_bytes()).files)
            topics = []
            async with asyncio.timeout(10):
                while len(topics) < expected:
                    m = await link.messages.get()
                    assert m.retain
                    topics.append(m.topic)
            link.close()
            return topics
        finally:
            await broker.stop()

    topics = asyncio.run(go())
    assert "v1/clinic/_site/cmd/model" in topics and "v1/_models/distress/7/0/0" in topics


def test_rollback_by_hand_and_the_status_lines(tmp_path: Path):
    state = tmp_path / "state"
    store = ModelStore(state / "models")
    for v in (1, 2):
        (store.versions / str(v)).mkdir(parents=True)
        store.swap(v, v - 1)
        store.commit(v)
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{state}"\n')
    r = cli("rollback", "--config", str(cfg))
    assert r.exit_code == 0 and "version 2 rolled back to 1" in r.output, r.output
    assert store.linked_version() == 1
    lines = model_lines({"label": "distress-1.0.0", "active_version": 1, "mode": "shadow", "pin": None,
                         "state": "shadow", "offered": 3, "progress": {},
                         "comparison": {"ticks": 40, "agreement": 0.95, "silent": 0, "nan": 0, "errors": 0},
                         "last": {"event": "refused:signature", "version": 2, "detail": "bad signature"}})
    assert lines[0].startswith("model        distress-1.0.0 (version 1)  shadow  update shadow v3")
    assert "agreement 95%" in lines[1] and "refused:signature v2: bad signature" in lines[2]
