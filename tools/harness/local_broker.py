"""A throwaway local mosquitto for tests and benchmarks (a fake that is real: the actual broker).

Two listeners on free loopback ports: plain TCP with a password file, and
(given certificate files) TLS that requires a client certificate.
Persistence is on, so a SIGTERM stop and a start keep sessions and queued
messages, as a production broker service restart does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "mosquitto_passwd"
USERNAME = "edge"
PASSWORD = "s3cret-pass"


def _user_line() -> str:
    # Started as root, mosquitto switches to user "mosquitto", which cannot read our temporary files.
    return "user root\n" if os.geteuid() == 0 else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path

    def listener(self, port: int) -> str:
        return f"""
listener {port} 127.0.0.1
cafile {self.ca}
certfile {self.cert}
keyfile {self.key}
require_certificate true
use_identity_as_username true
"""


class LocalBroker:
    """One mosquitto process; ``stop``/``start`` keep its ports and its persisted state."""

    def __init__(self, workdir: Path, tls: TlsFiles | None = None) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.port = free_port()
        self.tls_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        passwd = self.dir / "passwd"
        passwd.write_text("")
        subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwd), USERNAME, PASSWORD], check=True, capture_output=True)
        os.chmod(passwd, 0o600)
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            # Not per_listener_settings: mosquitto 2.0.11 then never sends Wills (fixed in 2.0.13).
            f"""{_user_line()}persistence true
persistence_location {self.dir}/
autosave_interval 1
log_dest file {self.dir}/mosquitto.log
log_type error
log_type warning
log_type notice
max_queued_messages 100000
max_inflight_messages 100
allow_anonymous false
password_file {passwd}

listener {self.port} 127.0.0.1

"""
            + (self.tls.listener(self.tls_port) if self.tls else "")
        )

    async def start(self) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once; readiness is awaited below
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            await wait_for_port(self.port, proc=self.proc)
            if self.tls is not None:
                await wait_for_port(self.tls_port, proc=self.proc)
        except BaseException:
            await self.stop(kill=True)
            raise

    async def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGCONT)  # in case it was frozen
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 10)
        if proc.stderr is not None:
            proc.stderr.close()

    def freeze(self) -> None:
        """SIGSTOP: the broker hangs (accepts nothing, answers nothing) but keeps every session."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def log(self) -> str:
        p = self.dir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""


async def wait_for_port(port: int, *, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 10.0) -> None:
    """Wait until something accepts on 127.0.0.1:port (bounded)."""
    async with asyncio.timeout(timeout_s):
        while True:
            if proc is not None and proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {proc.returncode}: {err}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return
