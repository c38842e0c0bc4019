"""The reference consumer validates, counts and drops malformed messages, and keeps running."""

from __future__ import annotations

import random
from pathlib import Path

import msgpack
from sync_helpers import agent_options, ingest_options, minute, password_broker
from test_sync_delivery import running, until

from agent.backend.ingest import Ingest, IngestStore
from agent.base.clock import Clock
from agent.commands.cli.main import main
from agent.outputs.sync.codec import encode_record
from agent.outputs.sync.mqtt import MqttLink
from agent.outputs.sync.worker import connect_params
from tests.support.mqtt_broker import Broker


async def test_malformed_and_misaddressed_messages_are_rejected_and_counted(broker: Broker, tmp_path: Path) -> None:
    store = IngestStore(tmp_path / "ingest.sqlite3")
    opts = password_broker(broker, tmp_path)
    ingest = Ingest(ingest_options(opts, tmp_path / "ingest.sqlite3"), store, Clock(), rng=random.Random(1))
    good = encode_record(minute(1), key="3f2504e0-4f89-41d3-9a0c-0305e82c3301", created=1.0, site="clinic-a",
                         device="headset-1")
    async with running(ingest.run):
        await until(ingest.subscribed.is_set)
        link = MqttLink(connect_params(agent_options(opts), will=None))
        await link.connect()
        await link.publish("v1/clinic-a/headset-1/summary/minute", b"\x00garbage")
        await link.publish("v1/clinic-a/headset-1/summary/minute", msgpack.packb({"v": 9}))
        await link.publish("v1/clinic-a/other-device/summary/minute", good)  # payload says headset-1
        await link.publish("v1/clinic-a/headset-1/summary/session", good)  # a minute on the session topic
        await link.publish("v1/clinic-a/headset-1/summary/minute", good)
        await link.publish("v1/clinic-a/headset-1/summary/minute", good)  # a re-send
        await link.disconnect()
        await until(lambda: sum(store.counters().values()) >= 6)
    assert store.counters() == {"rejected": 4, "stored": 1, "duplicate": 1}
    assert ingest.stats.rejected == 4 and ingest.stats.connects == 1
    assert store.keys() == ["3f2504e0-4f89-41d3-9a0c-0305e82c3301"]
    store.close()


def test_the_ingest_command_exits_78_on_bad_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "x.db"), "--username", "u",
                                         "--password-file", str(tmp_path / "missing")])
    assert result.exit_code == 78 and "secret file" in result.output
