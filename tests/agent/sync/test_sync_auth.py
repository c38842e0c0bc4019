"""Wrong credentials give a clear error and backoff, and lose nothing."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pydantic
import pytest
from sync_helpers import agent_options, minute, password_broker, session, tls_broker
from test_sync_delivery import running, until

from agent.base.clock import Clock
from agent.outputs.outbox import AsyncOutbox, OutboxOptions
from agent.outputs.sync.options import BrokerOptions
from agent.outputs.sync.worker import SyncWorker, connect_params
from agent.outputs.sync.writer import RecordWriter
from tests.support.mqtt_broker import PASSWORD, Broker

CASES = {
    "wrong password": (lambda b, tmp: password_broker(b, tmp, password="not-the-password"),
                       "SyncAuthError", "Not authorized (CONNACK 0x87); check the username and password file"),
    "client certificate from another CA": (lambda b, tmp: tls_broker(b, client="rogue-client"),
                                           "SyncError", "closed the connection before CONNACK"),
    "broker certificate not from the pinned CA": (lambda b, tmp: tls_broker(b, ca="rogue-ca.crt"),
                                                  "SyncAuthError", "not trusted by the pinned CA"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_refused_credentials_back_off_with_a_clear_error_and_keep_every_record(
    broker: Broker, tmp_path: Path, case: str
) -> None:
    make, error_type, message = CASES[case]
    bad: BrokerOptions = make(broker, tmp_path)
    async with await AsyncOutbox.open(OutboxOptions(), tmp_path / "agent") as outbox:
        writer = RecordWriter(outbox, "clinic-a", "headset-1")
        for r in [minute(1), session(1), minute(2)]:
            await writer.write(r)
        worker = SyncWorker(agent_options(bad), outbox, Clock(speed=20.0), rng=random.Random(3))
        delays: list[float] = []
        async with running(worker.run):
            for _ in range(4):
                await until(lambda: worker.status.retry_in_s is not None and worker.status.retry_in_s not in delays)
                delays.append(worker.status.retry_in_s)  # type: ignore[arg-type]
        assert worker.status.connects == 0
        assert sum(worker.status.failures.values()) >= 4 and error_type in worker.status.failures
        assert message in (worker.status.last_error or ""), worker.status.last_error
        assert worker.status.auth_failed == (error_type == "SyncAuthError")
        assert delays[-1] > delays[0]  # it backs off rather than hammering the broker
        assert PASSWORD not in (worker.status.last_error or "")
        assert (await outbox.stats()).records == 3  # nothing lost

        good = SyncWorker(agent_options(password_broker(broker, tmp_path)), outbox, Clock(), rng=random.Random(4))
        async with running(good.run):
            await until(lambda: good.status.delivered == 3)
        assert (await outbox.stats()).records == 0


def test_a_secret_file_readable_by_others_is_refused_at_startup(tmp_path: Path) -> None:
    pw = tmp_path / "password"
    pw.write_text("hunter2\n")
    os.chmod(pw, 0o644)
    with pytest.raises(pydantic.ValidationError, match="chmod 600"):
        BrokerOptions(username="edge", password_file=pw)
    os.chmod(pw, 0o600)
    options = BrokerOptions(username="edge", password_file=pw)
    assert options.password() == "hunter2"
    assert "hunter2" not in repr(options) and "hunter2" not in repr(
        connect_params(agent_options(options), will=None))


def test_options_reject_unknown_keys_and_bad_topic_ids() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        BrokerOptions(hots="typo")  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="topic id"):
        agent_options(BrokerOptions()).model_copy(update={}).model_validate(
            {"site": "clinic/a", "device": "headset-1"})


async def test_unreachable_broker_names_host_and_port(tmp_path: Path) -> None:
    from tests.support.mqtt_broker import free_port

    port = free_port()
    opts = BrokerOptions(host="127.0.0.1", port=port, backoff_initial_s=0.05, backoff_max_s=0.1)
    async with await AsyncOutbox.open(OutboxOptions(), tmp_path / "agent") as outbox:
        worker = SyncWorker(agent_options(opts), outbox, Clock())
        async with running(worker.run):
            await until(lambda: worker.status.last_error is not None)
        assert f"cannot reach broker 127.0.0.1:{port}" in (worker.status.last_error or "")
        await asyncio.sleep(0)
