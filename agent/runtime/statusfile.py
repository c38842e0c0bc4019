"""The running agent's status, rendered from its snapshot: ``{runtime_dir}/status.json``, for ``edge-agent status``.

The agent writes it about once a second, atomically (a temporary file in
the same directory, then ``rename``), mode 0640 so a technician in the
service's group can read it. Readers never see a half-written file; they
judge freshness by ``written_at`` (wall clock) and by whether ``pid`` lives.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import __version__

if TYPE_CHECKING:
    from agent.runtime.snapshot import AgentSnapshot

FILENAME = "status.json"
STALE_AFTER_S = 5.0  # written every second: five missed writes mean it is not running (or hung)


def path_for(runtime_dir: Path) -> Path:
    return runtime_dir / FILENAME


def render(snap: AgentSnapshot, state: str, *, ready: bool) -> dict[str, Any]:
    """Everything ``status`` shows, as plain JSON-able data."""
    a = snap.decision.adaptation if snap.decision is not None else None
    adaptation = None if a is None else {
        "seq": a.seq,
        "level": a.level.value,
        "distress": round(a.distress, 3),
        "confidence": round(a.confidence, 3),
        "reasons": list(a.reasons),
        "age_s": round(max(0.0, snap.t - a.t), 2),
    }
    q = snap.readings
    return {
        "written_at": snap.wall,
        "pid": os.getpid(),
        "version": __version__,
        "state": state,
        "ready": ready,
        "config": snap.config_source,
        "uptime_s": round(snap.uptime_s, 1),
        "devices": [d.as_dict(snap.t) for d in snap.devices],
        "adaptation": adaptation,
        "calibration": round(snap.calibration, 3),
        "ticks": snap.ticks,
        "readings_queue": {"depth": q.depth, "capacity": q.capacity, "dropped": q.dropped},
        "vr_clients": snap.vr_clients,
        "vrlink": _plain(snap.vrlink),  # docs/vr-protocol.md, statistics
        "outbox": _plain(snap.outbox),
        "sync": _plain(snap.sync),
        "model": _plain(snap.model),
    }


def _plain(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if data is None else dict(data)


def write(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` atomically: readers see the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"), default=str)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader found: the snapshot (if any) and whether an agent is behind it right now."""

    path: Path
    data: dict[str, Any] | None
    age_s: float | None
    alive: bool
    problem: str | None  # why it is not a live agent, in words a technician can act on

    @property
    def live(self) -> bool:
        return self.problem is None


def read(path: Path, *, now: float | None = None, stale_after_s: float = STALE_AFTER_S) -> Reading:
    now = time.time() if now is None else now
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Reading(path, None, None, False, f"no agent is running (no {path}); start it: systemctl start edge-agent")
    except PermissionError:
        return Reading(path, None, None, False, f"cannot read {path}: run as root or as a member of the edge-agent group")
    except (OSError, ValueError) as exc:
        return Reading(path, None, None, False, f"cannot read {path}: {exc}")
    if not isinstance(data, dict):
        return Reading(path, None, None, False, f"{path} is not a status snapshot")
    age = max(0.0, now - float(data.get("written_at", 0.0)))
    alive = _pid_alive(data.get("pid"))
    if data.get("state") == "stopped":
        problem = f"the agent stopped {age:.0f} s ago (pid {data.get('pid')})"
    elif not alive:
        problem = f"the agent (pid {data.get('pid')}) is gone; last status {age:.0f} s old: see journalctl -u edge-agent"
    elif age > stale_after_s:
        problem = f"the status is {age:.0f} s old: the agent (pid {data.get('pid')}) looks hung; see journalctl -u edge-agent"
    else:
        problem = None
    return Reading(path, data, age, alive, problem)


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by the service user
        return True
    return True
