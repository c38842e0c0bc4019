"""A stand-alone agent-side process for crash tests and benchmarks: write records, sync them.

``python -m tools.harness.sync_soak --state-dir D --port P ...`` writes ``--produce``
synthetic minute summaries (every ``--session-every``-th a session summary)
into the outbox in D while a :class:`SyncWorker` drains it, and reports on
stdout, one line each, flushed at once so a ``kill -9`` loses no report of
a committed action:

    put <key>       the record is committed to the outbox
    acked <n>       n records were PUBACKed and deleted
    drained         nothing is left to send

The crash tests kill it at random points and check, at the consumer, that
every ``put`` arrived. It carries no raw signal, only synthetic summaries.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Collection
from pathlib import Path

from agent.base.clock import Clock
from agent.outputs.outbox import AsyncOutbox, OutboxOptions
from agent.outputs.summaries.records import DistressStats, MinuteSummary, SessionSummary
from agent.outputs.sync.options import BrokerOptions, SyncOptions
from agent.outputs.sync.worker import SyncWorker
from agent.outputs.sync.writer import RecordWriter


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def synthetic(i: int, session_every: int) -> MinuteSummary | SessionSummary:
    if session_every and i % session_every == session_every - 1:
        return SessionSummary(session_id=f"soak-{i}", start=60.0 * i, end=60.0 * i + 600, duration_s=600.0, completed=True)
    return MinuteSummary(start=60.0 * i, end=60.0 * (i + 1), distress=DistressStats(n=0, mean=None, p90=None, histogram=[0] * 5))


async def soak(args: argparse.Namespace) -> None:
    broker = BrokerOptions(
        host=args.host, port=args.port, username=args.username, password_file=args.password_file,
        backoff_initial_s=0.05, backoff_max_s=0.5, connect_timeout_s=5.0,
    )
    options = SyncOptions(site=args.site, device=args.device, broker=broker, will_delay_s=0, max_inflight=args.inflight)
    outbox = await AsyncOutbox.open(OutboxOptions(), Path(args.state_dir))
    writer = RecordWriter(outbox, args.site, args.device)

    def delivered(seqs: Collection[int]) -> None:
        _say(f"acked {len(seqs)}")

    worker = SyncWorker(options, outbox, Clock(), on_delivered=delivered)
    sync = asyncio.create_task(worker.run())
    for i in range(args.produce):
        result = await writer.write(synthetic(i, args.session_every))
        assert result.record is not None
        _say(f"put {result.record.key}")
        if args.interval_ms:
            await asyncio.sleep(args.interval_ms / 1000)
    while (await outbox.stats()).records:
        await asyncio.sleep(0.01)
    _say("drained")
    await sync  # runs until the parent kills us


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tools.harness.sync_soak", description=__doc__.splitlines()[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--username")
    p.add_argument("--password-file", type=Path)
    p.add_argument("--site", default="soak")
    p.add_argument("--device", default="soak-1")
    p.add_argument("--produce", type=int, default=0)
    p.add_argument("--interval-ms", type=float, default=0.0)
    p.add_argument("--session-every", type=int, default=5)
    p.add_argument("--inflight", type=int, default=32)
    asyncio.run(soak(p.parse_args(argv)))


if __name__ == "__main__":
    main()
