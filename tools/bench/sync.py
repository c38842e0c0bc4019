"""Benchmarks of the outbox and the sync, for ``scripts/bench``.

``python -m tools.bench.sync [--records N] [--kills K] [--json FILE]`` or
:func:`run` from Python. It measures, against a local mosquitto it starts
on free loopback ports:

- ``outbox_write``: latency of one committed ``put`` (typical minute
  summary size), p50/p99/max in ms, for each durability setting;
- ``drain``: records per second from a full outbox to the broker, each
  PUBACKed and deleted;
- ``kill9``: a longer crash run (:mod:`tools.harness.crashtest`): loss and
  duplicate counts across K ``kill -9`` of the agent side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from agent.base.clock import Clock
from agent.outputs.outbox import AsyncOutbox, Durability, Outbox, OutboxOptions, RecordKind
from agent.outputs.sync.codec import encode_record
from agent.outputs.sync.options import BrokerOptions, SyncOptions
from agent.outputs.sync.worker import SyncWorker
from tools.harness.crashtest import crash_run
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker
from tools.harness.sync_soak import synthetic


def _payload(i: int) -> bytes:
    return encode_record(synthetic(i, 0), key=f"00000000-0000-4000-8000-{i:012d}", created=time.time(), site="bench",
                         device="bench-1")


def outbox_write_latency(workdir: Path, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for durability in Durability:
        box = Outbox.open(workdir / f"write-{durability}.sqlite3", max_bytes=1 << 30, durability=durability)
        payload = _payload(0)
        lat = []
        for _ in range(n):
            t0 = time.perf_counter()
            box.put(RecordKind.MINUTE, payload)
            lat.append(time.perf_counter() - t0)
        box.close()
        ms = np.asarray(lat) * 1e3
        out[str(durability)] = {"n": n, "payload_bytes": len(payload), "p50_ms": round(float(np.percentile(ms, 50)), 3),
                                "p99_ms": round(float(np.percentile(ms, 99)), 3), "max_ms": round(float(ms.max()), 3)}
    return out


async def drain_rate(broker: LocalBroker, workdir: Path, n: int) -> dict[str, Any]:
    pw = workdir / "password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    options = SyncOptions(site="bench", device="bench-1", max_inflight=100, broker=BrokerOptions(
        host="127.0.0.1", port=broker.port, username=USERNAME, password_file=pw))
    result: dict[str, Any] = {"records": n}
    async with await AsyncOutbox.open(OutboxOptions(), workdir / "drain") as outbox:
        for i in range(n):
            await outbox.put(RecordKind.MINUTE, _payload(i))
        worker = SyncWorker(options, outbox, Clock())
        task = asyncio.create_task(worker.run())
        while worker.status.state != "online":
            await asyncio.sleep(0.001)
        t0 = time.perf_counter()
        while worker.status.delivered < n:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - t0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        result.update(seconds=round(elapsed, 3), records_per_s=round(n / elapsed, 1),
                      left_in_outbox=(await outbox.stats()).records)
    return result


async def _run(records: int, kills: int, writes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="edge-sync-bench-") as d:
        workdir = Path(d)
        out: dict[str, Any] = {"outbox_write": outbox_write_latency(workdir, writes)}
        broker = LocalBroker(workdir / "broker")
        await broker.start()
        try:
            out["drain"] = await drain_rate(broker, workdir, records)
            crash_dir = workdir / "crash"
            crash_dir.mkdir()
            out["kill9"] = (await crash_run(broker, crash_dir, kills=kills, seed=1, produce=300,
                                            consumer_timeout_s=120.0)).as_dict()
        finally:
            await broker.stop()
    return out


def run(records: int = 5000, kills: int = 100, writes: int = 1000) -> dict[str, Any]:
    """Run every sync benchmark; returns a JSON-ready dict."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    return asyncio.run(_run(records, kills, writes))


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m tools.bench.sync", description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=5000, help="records to drain")
    p.add_argument("--kills", type=int, default=100, help="kill -9 rounds in the crash run")
    p.add_argument("--writes", type=int, default=1000, help="outbox writes to time")
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args()
    result = run(args.records, args.kills, args.writes)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
