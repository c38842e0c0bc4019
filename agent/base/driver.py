"""The driver contract, and how drivers are found.

A driver is an async context (connect on enter, disconnect on exit) with one
async iterator, ``chunks()``, that yields :class:`~agent.base.stream.Chunk` and,
when the device reports it, :class:`~agent.base.events.Quality`. It raises
:class:`~agent.errors.DeviceError` subclasses when the device fails; the
supervisor owns retries, stall detection and gap events.

Drivers are found only through the ``edge_agent.drivers`` entry-point group,
built-in ones included. Each entry point names a :class:`DriverPlugin`: a
light descriptor (name, extra, typed options) whose ``load()`` imports the
driver module lazily, so a missing vendor library breaks only its own driver
with a :class:`~agent.errors.DriverUnavailable` that names the extra.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, Self, runtime_checkable

import pydantic
import structlog

from agent.errors import DriverUnavailable

if TYPE_CHECKING:  # annotations only: a plugin's descriptor is read without numpy (edge-agent drivers)
    from agent.base.clock import Clock
    from agent.base.events import Quality
    from agent.base.stream import Chunk

ENTRY_POINT_GROUP = "edge_agent.drivers"

# What a driver talks to, as provisioning and ``edge-agent scan`` / ``check`` need to know it:
# "none" is a simulated or recorded device (never scanned for, nothing to pair); a
# "bluetooth-serial" device named by its Bluetooth address is bound to /dev/rfcommN.
Hardware = Literal["ble", "bluetooth-serial", "serial", "network", "other", "none"]


class DriverOptions(pydantic.BaseModel):
    """Base for each driver's typed options: unknown keys are errors."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class DriverContext:
    """What the agent gives every driver: who it is and what time it is."""

    device_id: str
    clock: Clock
    log: Any  # a structlog BoundLogger already bound to device_id


@dataclass(frozen=True, slots=True)
class Discovered:
    """One device found by a scan, for ``edge-agent scan`` and provisioning."""

    driver: str
    name: str
    address: str
    rssi: int | None = None
    details: str = ""
    # The options that select this device, when its address alone does not (a shared stream name
    # pinned to its source); empty: the address goes into the driver's ``target_option``.
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Driver(Protocol):
    """What the supervisor needs from a driver instance."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def chunks(self) -> AsyncIterator[Chunk | Quality]: ...


class DriverClass(Protocol):
    options: ClassVar[type[DriverOptions]]

    def __call__(self, options: Any, context: DriverContext) -> Driver: ...

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]: ...


@dataclass(frozen=True, slots=True)
class DriverPlugin:
    """An entry point's target: a driver described without importing it.

    ``target`` is ``"module:Class"``; ``extra`` is the pip extra that brings
    its library (None when it needs nothing beyond the core); ``example`` is
    a valid options table, shown by ``edge-agent drivers`` and checked by the
    driver contract test (:func:`agent.testing.check_driver`).

    The rest is what provisioning needs, so that no driver's name appears in
    the agent: what hardware it talks to, which option names the device
    (``--sensor DRIVER=TARGET`` sets it), the sensor id to suggest, and whether
    its class also opens recordings for ``edge-agent replay``.
    """

    name: str
    summary: str
    options: type[DriverOptions]
    target: str
    extra: str | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    hardware: Hardware = "other"
    target_option: str | None = None  # the option ``--sensor DRIVER=TARGET`` and a scan result set
    address_option: str | None = None  # the option set instead when TARGET is a Bluetooth address
    id_hint: str | None = None  # default: the driver's name
    # The class has ``recorded(options, device_id, chunk_s)``: the recording's streams, no clock.
    plays_recordings: bool = False

    @property
    def is_hardware(self) -> bool:
        return self.hardware != "none"

    def load(self) -> DriverClass:
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise DriverUnavailable(self.name, self.extra, f"{type(exc).__name__}: {exc}") from exc
        return getattr(module, attr)

    def create(self, options: DriverOptions, context: DriverContext) -> Driver:
        return self.load()(options, context)


class Registry:
    """The drivers installed in this environment, loaded on first use."""

    def __init__(self, entry_points: metadata.EntryPoints | None = None) -> None:
        eps = entry_points if entry_points is not None else metadata.entry_points(group=ENTRY_POINT_GROUP)
        self._eps = {ep.name: ep for ep in eps}
        self._plugins: dict[str, DriverPlugin] = {}

    def names(self) -> list[str]:
        return sorted(self._eps)

    def recording_player(self) -> DriverPlugin:
        """The installed driver that opens recordings for ``edge-agent replay`` (the first by name)."""
        for name in self.names():
            try:
                plugin = self.plugin(name)
            except DriverUnavailable:
                continue
            if plugin.plays_recordings:
                return plugin
        raise DriverUnavailable("(a recording player)", None, "no installed driver has plays_recordings=True")

    def plugin(self, name: str) -> DriverPlugin:
        """The plugin for ``name``; KeyError if no such driver is installed."""
        if name not in self._plugins:
            ep = self._eps[name]
            try:
                plugin = ep.load()
            except ImportError as exc:  # a plugin's descriptor should import nothing heavy
                raise DriverUnavailable(name, None, f"{type(exc).__name__}: {exc}") from exc
            if not isinstance(plugin, DriverPlugin) or plugin.name != name:
                raise TypeError(f"entry point {ep.value!r} for {name!r} is not a DriverPlugin named {name!r}")
            self._plugins[name] = plugin
        return self._plugins[name]


def bound_logger(device_id: str) -> Any:
    return structlog.get_logger("edge_agent.device").bind(device_id=device_id)
