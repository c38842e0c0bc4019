"""Scale-out, proven: three consumers in one $share group, five agents, one consumer kill -9'd mid-stream.

Real parts: ``edge-agent ingest`` processes, real agent-side processes (an
outbox and a SyncWorker each, reporting every committed key), mosquitto and
PostgreSQL. The killed consumer is restarted with its client id, as systemd
restarts it; what it had received but not committed is re-delivered (its
session is persistent) and what it had committed but not acknowledged
arrives again and is counted as a duplicate.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.backend.postgres_store import PostgresStore
from tests.support.mqtt_broker import Broker
from tools.harness.fleet import Fleet, run_agent

AGENTS, PER_AGENT = 5, 400


async def test_three_consumers_one_killed_mid_stream_store_every_record_once(
    broker: Broker, pg_dsn: str, tmp_path: Path
) -> None:
    fleet = Fleet(broker, pg_dsn, tmp_path)
    store = PostgresStore(pg_dsn, consumer="test-reader")

    def stored() -> int:
        return int(store.query("SELECT count(*) AS n FROM records")[0]["n"])

    put: set[str] = set()
    try:
        await fleet.start_consumers(3)
        agents = [asyncio.create_task(run_agent(broker, tmp_path / f"agent-{i}", fleet.password_file(),
                                                f"agent-{i}", PER_AGENT, put)) for i in range(AGENTS)]
        victim = fleet.consumers[0]
        await fleet.wait(lambda: stored() >= 300, 60, "300 stored rows")
        victim.kill9()
        assert victim.proc is not None and await victim.proc.wait() == -9
        rows_at_kill = stored()
        await victim.start()
        async with asyncio.timeout(60):
            await asyncio.gather(*agents)  # every record committed by an agent was PUBACKed by the broker
        await fleet.wait(lambda: stored() >= AGENTS * PER_AGENT, 60, "every record stored",
                         lambda: f"(stored {stored()}, killed at {rows_at_kill}, counters {store.counters()})")
        assert rows_at_kill < AGENTS * PER_AGENT, "the kill came mid-stream"
        keys = [r["key"] for r in store.query("SELECT key FROM records")]
        assert len(put) == AGENTS * PER_AGENT
        assert len(keys) == len(set(keys)) == AGENTS * PER_AGENT and set(keys) == put  # each once, none lost
        per_consumer = {r["consumer"]: int(r["value"]) for r in
                        store.query("SELECT consumer, value FROM counters WHERE name = 'stored'")}
        assert sum(per_consumer.values()) == AGENTS * PER_AGENT
        assert set(per_consumer) == {"ingest-1", "ingest-2", "ingest-3"}  # the group split the stream
        assert store.query("SELECT count(*) AS n FROM rejected")[0]["n"] == 0
        assert {r["device"] for r in store.query("SELECT device FROM devices")} == {f"agent-{i}" for i in range(AGENTS)}
    finally:
        await fleet.stop()
        store.close()
