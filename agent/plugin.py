"""Everything a driver author imports: the driver contract, the data it yields, its clocks and errors.

A driver is a class with typed options, an async context (connect on enter, disconnect on exit)
and ``chunks()``, an async iterator of :class:`Chunk` (and :class:`Quality` when the device reports
it); a :class:`DriverPlugin` describes it to the agent without importing it, through the
``edge_agent.drivers`` entry-point group. ``docs/drivers.md`` walks through writing one;
:func:`agent.testing.check_driver` is the contract test to run against it.

The drivers in ``drivers/`` import the agent only through this module (a test holds them to it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agent.base.backoff import Backoff
from agent.base.clock import Clock, DeviceClock
from agent.base.datasets import data_root
from agent.base.driver import (
    Discovered,
    Driver,
    DriverClass,
    DriverContext,
    DriverOptions,
    DriverPlugin,
    Hardware,
    bound_logger,
)
from agent.base.queues import BoundedQueue, Overflow, QueueClosed
from agent.errors import (
    AgentError,
    ConfigError,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DeviceStalled,
    DriverUnavailable,
    ProtocolError,
    RecordingUnreadable,
    ScanUnavailable,
)

if TYPE_CHECKING:
    from agent.base.events import Quality
    from agent.base.stream import Chunk, Modality, StreamSpec

# What a driver yields carries numpy arrays; a driver's descriptor (and `edge-agent drivers`, which
# reads every descriptor) must not pay for numpy, so these load on first use.
_ON_FIRST_USE = {"Chunk": "agent.base.stream", "Modality": "agent.base.stream", "StreamSpec": "agent.base.stream",
                 "Quality": "agent.base.events"}


def __getattr__(name: str) -> Any:
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'agent.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    globals()[name] = value
    return value


__all__ = [
    # the contract
    "Driver", "DriverClass", "DriverContext", "DriverOptions", "DriverPlugin", "Discovered", "Hardware",
    "bound_logger",
    # what a driver yields
    "Chunk", "Modality", "StreamSpec", "Quality",
    # time: the agent's clock, and mapping a device's own clock onto it
    "Clock", "DeviceClock",
    # helpers drivers share: reconnect backoff, bounded hand-over queues, where recordings live
    "Backoff", "BoundedQueue", "Overflow", "QueueClosed", "data_root",
    # the errors a driver raises (the supervisor retries DeviceError, counts and drops ProtocolError)
    "AgentError", "ConfigError", "DeviceError", "DeviceNotFound", "DeviceDisconnected", "DeviceStalled",
    "ScanUnavailable", "ProtocolError", "RecordingUnreadable", "DriverUnavailable",
]
