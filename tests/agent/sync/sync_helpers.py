"""Option builders and record factories shared by the sync tests."""

from __future__ import annotations

import os
from pathlib import Path

from agent.backend.ingest import IngestOptions
from agent.outputs.summaries.records import DeviceHealth, DiskUsage, DistressStats, MinuteSummary, SessionSummary
from agent.outputs.sync.options import BrokerOptions, SyncOptions, TlsOptions
from tests.support.mqtt_broker import PASSWORD, USERNAME, Broker


def secret(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    os.chmod(path, 0o600)
    return path


def password_broker(broker: Broker, tmp_path: Path, password: str = PASSWORD, **kw: object) -> BrokerOptions:
    return BrokerOptions(
        host="127.0.0.1", port=broker.port, username=USERNAME,
        password_file=secret(tmp_path / f"pw-{password}", password),
        backoff_initial_s=0.05, backoff_max_s=0.5, connect_timeout_s=3.0, **kw,  # type: ignore[arg-type]
    )


def tls_broker(broker: Broker, client: str = "client", ca: str = "ca.crt", **kw: object) -> BrokerOptions:
    pki = broker.pki
    return BrokerOptions(
        host="127.0.0.1", port=broker.tls_port,
        tls=TlsOptions(ca_file=pki.path(ca), cert_file=pki.path(f"{client}.crt"), key_file=pki.path(f"{client}.key")),
        backoff_initial_s=0.05, backoff_max_s=0.5, connect_timeout_s=3.0, **kw,  # type: ignore[arg-type]
    )


def agent_options(broker_options: BrokerOptions, **kw: object) -> SyncOptions:
    return SyncOptions(site="clinic-a", device="headset-1", broker=broker_options, will_delay_s=0, poll_s=1.0, **kw)  # type: ignore[arg-type]


def ingest_options(broker_options: BrokerOptions, db: Path, **kw: object) -> IngestOptions:
    return IngestOptions(broker=broker_options, database=db, **kw)  # type: ignore[arg-type]


def minute(n: int) -> MinuteSummary:
    return MinuteSummary(start=60.0 * n, end=60.0 * (n + 1), distress=DistressStats(n=0, mean=None, p90=None, histogram=[0] * 5))


def session(n: int) -> SessionSummary:
    return SessionSummary(session_id=f"s{n}", start=1000.0 * n, end=1000.0 * n + 600, duration_s=600, completed=True)


def health(n: int) -> DeviceHealth:
    return DeviceHealth(t=float(n), uptime_s=float(n), agent_version="test", disk=DiskUsage(path="/", total_bytes=1, free_bytes=1))
