"""``kill -9`` the agent-side sync at random points and count what the backend got.

Runs ``python -m tools.harness.sync_soak`` again and again on one state directory,
killing it with SIGKILL after a random number of its reports (``put`` lines
while it writes, ``acked`` lines while it drains), then lets a last run drain
the outbox. A reference consumer (:mod:`agent.backend.ingest`) in this process
stores what arrives. Used by the tests (≥ 20 kills) and by ``scripts/bench``
(a longer run).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.backend.ingest import Ingest, IngestOptions, IngestStore
from agent.base.clock import Clock
from agent.outputs.outbox.store import Outbox
from agent.outputs.sync.options import BrokerOptions
from tools import REPO
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker


@dataclass(frozen=True)
class CrashReport:
    kills: int
    put: int  # records the agent reported committed
    received: int  # distinct keys the consumer stored
    deliveries: int  # messages the consumer got (stored + duplicates)
    duplicates: int  # re-deliveries dropped by the idempotency key
    lost: int  # reported committed, never received
    unreported: int  # received, but killed between commit and report
    outbox_left: int
    presence_after_kill: str | None  # what the broker's Will said once the agent was gone
    elapsed_s: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


async def crash_run(
    broker: LocalBroker, workdir: Path, *, kills: int, seed: int, produce: int = 150, interval_ms: float = 1.0,
    consumer_timeout_s: float = 60.0,
) -> CrashReport:
    rng = random.Random(seed)
    started = time.perf_counter()
    pw = workdir / "password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    state = workdir / "agent-state"
    store = IngestStore(workdir / "ingest.sqlite3")
    options = IngestOptions(
        broker=BrokerOptions(host="127.0.0.1", port=broker.port, username=USERNAME, password_file=pw,
                             backoff_initial_s=0.05, backoff_max_s=0.5),
        database=workdir / "ingest.sqlite3",
    )
    ingest = Ingest(options, store, Clock(), rng=random.Random(seed + 1))
    consumer = asyncio.create_task(ingest.run())
    put: set[str] = set()
    try:
        async with asyncio.timeout(30):
            await ingest.subscribed.wait()
        base = [sys.executable, "-m", "tools.harness.sync_soak", "--state-dir", str(state), "--port", str(broker.port),
                "--username", USERNAME, "--password-file", str(pw), "--interval-ms", str(interval_ms)]
        for _ in range(kills):
            target = ("put", rng.randint(1, 60)) if rng.random() < 0.6 else ("acked", rng.randint(1, 8))
            await _run_until(base + ["--produce", str(produce)], put, target, kill=True)
        await _run_until(base + ["--produce", "0"], put, ("drained", 1), kill=True)
        async with asyncio.timeout(consumer_timeout_s):
            while not put <= set(store.keys()) or store.presence("soak", "soak-1") != "offline":
                await asyncio.sleep(0.02)
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
    received = set(store.keys())
    presence = store.presence("soak", "soak-1")
    counters = store.counters()
    store.close()
    outbox = Outbox.open(state / "outbox.sqlite3", max_bytes=1 << 30)
    left = outbox.stats().records
    outbox.close()
    return CrashReport(
        kills=kills, put=len(put), received=len(received),
        deliveries=counters.get("stored", 0) + counters.get("duplicate", 0), duplicates=counters.get("duplicate", 0),
        lost=len(put - received), unreported=len(received - put), outbox_left=left, presence_after_kill=presence,
        elapsed_s=round(time.perf_counter() - started, 2),
    )


async def _run_until(cmd: list[str], put: set[str], target: tuple[str, int], *, kill: bool, timeout_s: float = 30.0) -> None:
    """Start the soak process, read its reports until ``target`` (kind, count) is reached, then SIGKILL it."""
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None
    kind, count = target
    seen = 0
    try:
        async with asyncio.timeout(timeout_s):
            while seen < count:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(f"soak process exited with {await proc.wait()} before {count} {kind!r} reports")
                word, _, rest = line.strip().partition(" ")
                if word == "put":
                    put.add(rest)
                if word == kind:
                    seen += 1
    finally:
        if kill and proc.returncode is None:
            proc.kill()
        await proc.wait()
        # reports written just before the kill are still in the pipe: a committed record must not go unnoticed
        for line in (await proc.stdout.read()).decode().splitlines():
            word, _, rest = line.partition(" ")
            if word == "put":
                put.add(rest)
