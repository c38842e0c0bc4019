"""A real NOTIFY_SOCKET receiver, as systemd has: an AF_UNIX datagram socket (path or abstract)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path


class NotifyReceiver:
    """Collects the ``KEY=VALUE`` datagrams a service sends; waits on conditions with a bound."""

    def __init__(self, where: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if where is None:  # abstract: a unique name, no file
            name = f"edge-agent-test-{os.getpid()}-{id(self)}"
            self.sock.bind(b"\0" + name.encode())
            self.env_value = "@" + name
        else:
            self.sock.bind(str(where))
            self.env_value = str(where)
        self.messages: list[dict[str, str]] = []

    def env(self, watchdog_s: float | None = None) -> dict[str, str]:
        env = {"NOTIFY_SOCKET": self.env_value}
        if watchdog_s is not None:
            env["WATCHDOG_USEC"] = str(int(watchdog_s * 1e6))
        return env

    def _receive(self, timeout_s: float) -> bool:
        self.sock.settimeout(max(0.001, timeout_s))
        try:
            data = self.sock.recv(4096)
        except TimeoutError:
            return False
        self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))
        return True

    def until(self, done, *, timeout_s: float = 30.0, what: str = "notification") -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout_s
        while not done(self.messages):
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                if done(self.messages):
                    break
                raise AssertionError(f"timed out waiting for {what}; got {self.messages}")
        return self.messages

    def drain(self, seconds: float) -> list[dict[str, str]]:
        """Everything that arrives within ``seconds`` (for asserting that something does NOT arrive)."""
        got: list[dict[str, str]] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            before = len(self.messages)
            if self._receive(left):
                got.extend(self.messages[before:])
        return got

    async def until_async(self, done, *, timeout_s: float = 30.0, what: str = "notification") -> list[dict[str, str]]:
        """As :meth:`until`, without blocking the event loop (for in-process agents)."""
        loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        try:
            async with asyncio.timeout(timeout_s):
                while not done(self.messages):
                    data = await loop.sock_recv(self.sock, 4096)
                    self.messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; got {self.messages}") from None
        return self.messages

    def count(self, key: str) -> int:
        return sum(1 for m in self.messages if key in m)

    def close(self) -> None:
        self.sock.close()
