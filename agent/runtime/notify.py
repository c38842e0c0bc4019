"""sd_notify spoken directly: one AF_UNIX datagram of ``KEY=VALUE`` lines to ``$NOTIFY_SOCKET``.

No libsystemd: the protocol is one ``sendto``. A socket name starting with
``@`` is abstract (the ``@`` becomes a NUL byte). Without ``$NOTIFY_SOCKET``
(not started by systemd, or ``Type=simple``) every call is a no-op, so the
agent behaves the same in a terminal and under the service manager.

``$WATCHDOG_USEC`` is systemd's watchdog interval; it applies only to the
process named by ``$WATCHDOG_PID`` when that is set (a child that inherited
the variables must not ping for its parent).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping

import structlog

log = structlog.get_logger("edge_agent.notify")


def socket_address(name: str) -> str | bytes:
    """The ``sendto`` address for a ``$NOTIFY_SOCKET`` value: a path, or an abstract name."""
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


class Notifier:
    """Sends service-manager notifications; silent when there is no manager to tell."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        self.address: str | bytes | None = socket_address(name) if name and name[0] in "/@" else None
        self.watchdog_s: float | None = _watchdog_interval(env)
        self._sock: socket.socket | None = None
        self.sent = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: str | int) -> bool:
        """One datagram with ``KEY=value`` lines; False (logged, counted) if it could not be sent."""
        if self.address is None:
            return False
        payload = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, self.address)
        except OSError as exc:
            # The manager went away or the socket is full: never fatal, but visible.
            self.failed += 1
            log.warning("notify_failed", error=str(exc), fields=",".join(fields))
            return False
        self.sent += 1
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send(READY=1, **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def stopping(self, status: str | None = None) -> bool:
        return self.send(STOPPING=1, **({"STATUS": status} if status else {}))

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Seconds between watchdog deadlines, if systemd asked this process for pings."""
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1e6 if usec > 0 else None
