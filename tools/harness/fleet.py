"""Several consumers in one shared-subscription group, one broker, one PostgreSQL: the scale-out harness.

Used by the tests (``kill -9`` one consumer mid-stream: every record is
stored once) and by ``scripts/bench`` (records per second stored by one
consumer and by three). Consumers are real ``edge-agent ingest`` processes;
agents are either real agent-side processes (``python -m tools.harness.sync_soak``:
an outbox and a SyncWorker each, reporting every committed key) or, for
throughput, a fast publisher of ready-made summaries.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.backend.postgres_store import PostgresStore
from agent.outputs.sync.codec import encode_record
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.outputs.sync.topics import Topics
from tools import REPO
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker
from tools.harness.sync_soak import synthetic


@dataclass
class Consumer:
    """One ``edge-agent ingest`` process; ``restart`` keeps its client id, as systemd's Restart= would."""

    client_id: str
    argv: list[str]
    log: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            # unbuffered: the log is read to see it subscribe
            self.proc = await asyncio.create_subprocess_exec(*self.argv, stdout=out, stderr=out,
                                                             env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def connects(self) -> int:
        return self.log.read_text(errors="replace").count("ingest.connected") if self.log.exists() else 0

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()


@dataclass
class Fleet:
    broker: LocalBroker
    dsn: str
    workdir: Path
    consumers: list[Consumer] = field(default_factory=list)

    def password_file(self) -> Path:
        pw = self.workdir / "password"
        if not pw.exists():
            pw.write_text(PASSWORD + "\n")
            pw.chmod(0o600)
        return pw

    async def start_consumers(self, n: int, *, timeout_s: float = 60.0) -> None:
        for i in range(n):
            cid = f"ingest-{i + 1}"
            argv = [sys.executable, "-m", "agent", "ingest", "--host", "127.0.0.1", "--port", str(self.broker.port),
                    "--username", USERNAME, "--password-file", str(self.password_file()), "--db", self.dsn,
                    "--group", "fleet", "--client-id", cid]
            self.consumers.append(Consumer(cid, argv, self.workdir / f"{cid}.log"))
        for c in self.consumers:
            await c.start()
        await self.wait(lambda: all(c.connects() >= 1 for c in self.consumers), timeout_s, "consumers to subscribe")

    async def stop(self) -> None:
        for c in self.consumers:
            await c.stop()

    async def wait(self, predicate: Callable[[], bool], timeout_s: float, what: str,
                   detail: Callable[[], object] = lambda: "") -> None:
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate():
                    for c in self.consumers:
                        if c.proc is not None and c.proc.returncode not in (None, -signal.SIGKILL):
                            raise RuntimeError(f"{c.client_id} exited {c.proc.returncode}: {c.log.read_text()[-2000:]}")
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise TimeoutError(f"timed out waiting for {what} {detail()}") from None


async def run_agent(broker: LocalBroker, state_dir: Path, password: Path, device: str, produce: int,
                    put: set[str]) -> None:
    """A real agent-side process (outbox + SyncWorker) writing ``produce`` records; returns once all are PUBACKed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.harness.sync_soak", "--state-dir", str(state_dir), "--port", str(broker.port),
        "--username", USERNAME, "--password-file", str(password), "--site", "fleet", "--device", device,
        "--produce", str(produce), "--interval-ms", "0", stdout=asyncio.subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None
    try:
        while line := (await proc.stdout.readline()).decode():
            word, _, rest = line.strip().partition(" ")
            if word == "put":
                put.add(rest)
            elif word == "drained":
                return
        raise RuntimeError(f"agent {device} exited {await proc.wait()} before draining")
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def publish_fast(broker: LocalBroker, password: Path, agents: int, per_agent: int,
                       window: int = 200) -> list[str]:
    """Ready-made minute summaries from ``agents`` devices, QoS 1 with ``window`` PUBACKs outstanding; their keys."""
    params = ConnectParams(host="127.0.0.1", port=broker.port, client_id=f"fleet-publisher-{uuid.uuid4().hex[:8]}",
                           keepalive_s=30, connect_timeout_s=10, session_expiry_s=60, receive_maximum=65535,
                           username=USERNAME, password=password.read_text().strip(), tls=None)
    link = MqttLink(params)
    await link.connect()
    keys: list[str] = []
    pending: set[asyncio.Future[None]] = set()
    try:
        for i in range(per_agent):
            for a in range(agents):
                key = str(uuid.uuid4())
                device = f"agent-{a + 1}"
                payload = encode_record(synthetic(i, 10), key=key, created=time.time(), site="fleet", device=device)
                kind = "summary/session" if i % 10 == 9 else "summary/minute"
                pending.add(link.publish(f"{Topics('fleet', device).base}/{kind}", payload))
                keys.append(key)
                if len(pending) >= window:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for f in done:
                        f.result()
        if pending:
            for f in asyncio.as_completed(pending):
                await f
    finally:
        await link.disconnect()
    return keys


async def throughput(broker: LocalBroker, dsn: str, workdir: Path, consumers: int, records: int) -> dict[str, float]:
    """Records per second stored by ``consumers`` consumers, draining a backlog, from the first stored row to the last.

    The consumers subscribe, stop, and the records are published meanwhile: the broker queues them in the
    consumers' persistent sessions, so the publisher's own speed is not what is measured.
    """
    fleet = Fleet(broker, dsn, workdir)
    store = PostgresStore(dsn, consumer="bench-reader")
    try:
        await fleet.start_consumers(consumers)
        await fleet.stop()
        started = time.perf_counter()
        keys = await publish_fast(broker, fleet.password_file(), 5, records // 5)
        published_s = time.perf_counter() - started
        for c in fleet.consumers:
            await c.start()
        await fleet.wait(lambda: _count(store) > 0, 60, "the first stored row")
        first = time.perf_counter()
        await fleet.wait(lambda: _count(store) >= len(keys), 600, f"{len(keys)} stored rows")
        elapsed = time.perf_counter() - first
        stored = {r["key"] for r in store.query("SELECT key FROM records")}
        assert stored == set(keys), "every published record is stored once"
    finally:
        with contextlib.suppress(Exception):
            await fleet.stop()
        store.close()
    return {"consumers": consumers, "records": len(keys), "seconds": round(elapsed, 2),
            "records_per_s": round(len(keys) / elapsed, 1), "publish_records_per_s": round(len(keys) / published_s, 1)}


def _count(store: PostgresStore) -> int:
    return int(store.query("SELECT count(*) AS n FROM records")[0]["n"])
