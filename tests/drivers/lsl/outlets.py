"""Real LSL outlets in other processes: ``python -m drivers.lsl.simulate`` started by tests."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


class Outlet:
    """One simulator process; ``ready`` is its first JSON line (name, uid, t0, ...)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.args = list(args)
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed by kill(); liblsl's log lines)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drivers.lsl.simulate", *args],
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
            cwd=cwd or REPO,
        )
        self.ready: dict[str, Any] = self._line(timeout_s=20.0)
        if self.ready.get("event") != "ready":
            raise AssertionError(f"simulator did not start: {self.ready}")

    def _line(self, timeout_s: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.kill()
            raise AssertionError(f"simulator {self.args} printed nothing in {timeout_s} s")
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            self.stderr.seek(0)
            err = self.stderr.read()
            raise AssertionError(f"simulator {self.args} exited ({self.proc.returncode}): {err}")
        return json.loads(line)

    def kill(self) -> float:
        """SIGKILL (a crashed publisher, a headset out of range); returns when it is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        killed_at = time.monotonic()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()
        return killed_at

    def finish(self, timeout_s: float = 20.0) -> dict[str, Any]:
        """Wait for a ``--duration`` run to end; its ``done`` line."""
        done = self._line(timeout_s)
        self.proc.wait(timeout=timeout_s)
        return done


def unique(prefix: str) -> str:
    """A source_id no other test (or leftover outlet) uses."""
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
