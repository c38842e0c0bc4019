"""What the updater reports about itself (``edge-agent status``, health records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.errors import AgentError


@dataclass
class UpdaterStatus:
    state: str = "starting"  # connecting | idle | downloading | verifying | test-load | shadow | probation | backoff
    pin: int | None = None
    offered: int | None = None  # the version being worked on
    progress: dict[str, int] = field(default_factory=dict)  # bytes have / total of the download
    last: dict[str, Any] | None = None  # the last outcome: event, version, detail
    timings_s: dict[str, float] = field(default_factory=dict)  # of the last install: download, verify, test-load ...
    broker_error: str | None = None


class Superseded(AgentError):
    """A newer acceptable manifest arrived: drop this attempt, start on that one."""
