"""The device health record: sensors, disk, uptime, and the outbox's own losses."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from agent import __version__
from agent.base.clock import Clock
from agent.outputs.outbox.store import OutboxStats
from agent.outputs.summaries.records import DeviceHealth, DiskUsage, Prescription, SensorHealth


def device_health(
    clock: Clock, state_dir: Path, devices: Mapping[str, SensorHealth], outbox: OutboxStats | None,
    model: Mapping[str, object] | None = None,
    prescription: Prescription | None = None,
) -> DeviceHealth:
    """Build a health record now. Evicted and expired outbox records are reported here, per kind."""
    disk = shutil.disk_usage(state_dir)
    return DeviceHealth(
        t=time.time(),
        uptime_s=clock.now() - clock.origin,
        agent_version=__version__,
        disk=DiskUsage(path=str(state_dir), total_bytes=disk.total, free_bytes=disk.free),
        devices=dict(devices),
        outbox=outbox.as_dict() if outbox is not None else {},
        model=dict(model or {}),
        prescription=prescription,
    )
