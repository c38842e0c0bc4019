"""Warnings that protect a patient's data: said by ``run`` at start, ``check`` and ``provision``.

None of these stops the agent (a clinic may knowingly run plain MQTT on a
closed network), but none may pass silently:

- summaries sent over plain MQTT, unencrypted;
- credentials others on the device can read (a world-accessible credentials
  folder, a VR token written inline in a world-readable config);
- a broker, CA or client certificate that expires within 30 days, after
  which the agent can no longer deliver anything.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from agent.config import EMBEDDED, AgentConfig

EXPIRY_WARNING_S = 30 * 86400


@dataclass(frozen=True, slots=True)
class Warning:
    text: str
    fix: str

    def __str__(self) -> str:
        return f"{self.text}; fix: {self.fix}"


def static_warnings(config: AgentConfig, now: float | None = None) -> list[Warning]:
    """What can be told from the config and the files it names, without the network."""
    now = time.time() if now is None else now
    out: list[Warning] = []
    sync = config.top.sync
    if sync is not None and sync.enabled:
        b = sync.broker
        if b.tls is None:
            out.append(Warning(f"summaries go to {b.host}:{b.port} over plain MQTT, unencrypted"
                               + (" with a password sent in the clear" if b.username else ""),
                               "use TLS: give the broker's CA in [sync.broker.tls] ca_file (edge-agent provision --ca)"))
        else:
            for kind, path in (("CA certificate", b.tls.ca_file), ("client certificate", b.tls.cert_file)):
                if path is not None:
                    out += _expiry(f"the {kind} {path}", _file_not_after(path), now)
        secrets = [p for p in (b.password_file, b.tls.key_file if b.tls else None) if p is not None]
        for folder in dict.fromkeys(p.parent for p in secrets):
            out += _world_accessible(folder)
    tcp = config.top.vrlink.tcp
    if tcp is not None and tcp.token is not None and config.source != EMBEDDED:
        source = Path(config.source)
        if source.exists() and source.stat().st_mode & stat.S_IROTH:
            out.append(Warning(f"{source} holds the VR link token inline and anyone on this device can read it",
                               f"move it to [vrlink.tcp] token_file (mode 0600), or chmod o-r {source}"))
    return out


def _world_accessible(folder: Path) -> list[Warning]:
    try:
        mode = folder.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IROTH | stat.S_IXOTH):
        return [Warning(f"the credentials folder {folder} is open to every user on this device (mode {mode & 0o777:04o})",
                        f"chmod 700 {folder}")]
    return []


def _file_not_after(path: Path) -> float | None:
    try:
        decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]  # the stdlib's PEM reader
    except (ssl.SSLError, OSError, AttributeError):
        return None
    return ssl.cert_time_to_seconds(decoded["notAfter"])


def _expiry(what: str, not_after: float | None, now: float) -> list[Warning]:
    if not_after is None or not_after - now > EXPIRY_WARNING_S:
        return []
    when = time.strftime("%Y-%m-%d", time.gmtime(not_after))
    if not_after <= now:
        return [Warning(f"{what} expired on {when}: the broker will refuse the agent",
                        "install a renewed certificate (edge-agent provision)")]
    days = (not_after - now) / 86400
    return [Warning(f"{what} expires on {when}, in {days:.0f} day(s); then nothing can be delivered",
                    "renew it before then and install it (edge-agent provision)")]


async def broker_certificate_warnings(config: AgentConfig, timeout_s: float, now: float | None = None) -> list[Warning]:
    """The broker's own certificate, from a TLS handshake (no MQTT): does it expire soon?"""
    sync = config.top.sync
    if sync is None or not sync.enabled or sync.broker.tls is None:
        return []
    b = sync.broker
    tls = b.tls
    assert tls is not None

    def handshake() -> float | None:
        context = tls.context()
        with socket.create_connection((b.host, b.port), timeout=timeout_s) as raw:
            with context.wrap_socket(raw, server_hostname=tls.server_name or b.host) as conn:
                cert = conn.getpeercert()
        return ssl.cert_time_to_seconds(cert["notAfter"]) if cert and "notAfter" in cert else None

    try:
        not_after = await asyncio.to_thread(handshake)
    except (OSError, ssl.SSLError, ValueError):
        return []  # unreachable or refused: the broker check reports that
    return _expiry(f"the broker's certificate ({b.host}:{b.port})", not_after, time.time() if now is None else now)
