"""Benchmark for ``scripts/bench``: records per second stored into PostgreSQL by one consumer and by three.

``python -m tools.bench.backend [--records N] [--json FILE]``. A local
mosquitto and a local PostgreSQL with fsync on (each commit durable, as in
production) on this machine; five devices' minute and session summaries
published as fast as the broker takes them; ``edge-agent ingest`` processes
in one shared-subscription group store them. The rate is counted from the
first stored row to the last, on a fresh database for each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from tools.harness.fleet import throughput
from tools.harness.local_broker import LocalBroker
from tools.harness.local_postgres import LocalPostgres


async def run(records: int, consumer_counts: list[int]) -> dict[str, object]:
    postgres = LocalPostgres(durable=True)
    postgres.start()
    results: dict[str, object] = {}
    try:
        for n in consumer_counts:
            with tempfile.TemporaryDirectory(prefix="edge-bench-") as tmp:
                broker = LocalBroker(Path(tmp) / "broker")
                await broker.start()
                try:
                    dsn = postgres.create_database(f"bench_{n}")
                    name = f"{n}_consumer{'s' if n > 1 else ''}"
                    results[name] = await throughput(broker, dsn, Path(tmp), n, records)
                finally:
                    await broker.stop()
    finally:
        postgres.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = asyncio.run(run(args.records, args.consumers))
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
