"""Pairing: from ``--sensor`` flags or scan results to ``[devices.ID]`` tables, validated.

``--sensor [ID:]DRIVER[=TARGET]``: TARGET goes into the option the driver
declares as naming the device (``DriverPlugin.target_option``): a Bluetooth
address (or an advertised name) for BLE straps, a port for serial devices, a
stream name for LSL, a path for a recording. A Bluetooth serial device
(``hardware="bluetooth-serial"``) given by its Bluetooth address gets an rfcomm
binding: ``/dev/rfcommN`` bound by ``edge-agent-rfcomm@N.service`` before the
agent starts (see docs/operations.md). No driver is known here by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pydantic

from agent.base.driver import Discovered, DriverPlugin, Registry
from agent.commands.provision.checks import Problem
from agent.errors import DriverUnavailable

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
_ID = ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
RFCOMM_CHANNEL = 1  # the Serial Port Profile channel of a Shimmer3


@dataclass(frozen=True, slots=True)
class RfcommBinding:
    index: int
    address: str
    channel: int = RFCOMM_CHANNEL

    @property
    def device(self) -> str:
        return f"/dev/rfcomm{self.index}"


def parse_flag(text: str) -> tuple[str | None, str, str | None]:
    """``[ID:]DRIVER[=TARGET]`` -> (id, driver, target)."""
    head, _, target = text.partition("=")
    device_id, _, driver = head.rpartition(":")
    return (device_id or None, driver.strip(), target.strip() or None)


def target_options(plugin: DriverPlugin, target: str | None) -> dict[str, Any]:
    """The options that point ``plugin`` at ``target``."""
    if target is None:
        return {}
    if plugin.address_option is not None and _MAC.fullmatch(target):
        return {plugin.address_option: target.upper().replace("-", ":")}
    if plugin.target_option is None:
        return {"target": target}  # nothing names its device: validation names the driver's real keys
    return {plugin.target_option: target}


def discovered_options(plugin: DriverPlugin, found: Discovered) -> dict[str, Any]:
    """The options for a device picked from a scan."""
    if found.options:
        return dict(found.options)
    if plugin.target_option is None:  # a simulated device: nothing to point at
        return {}
    return target_options(plugin, found.address)


def default_id(registry: Registry, driver: str, taken: set[str]) -> str:
    """The sensor id to suggest: the driver's ``id_hint`` (else its name), made unique."""
    try:
        base = registry.plugin(driver).id_hint or driver
    except (KeyError, DriverUnavailable):
        base = driver  # validation reports the driver
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def validate(registry: Registry, sensors: dict[str, dict[str, Any]]) -> list[Problem]:
    """Each sensor's id, driver and options, checked as the agent will check them."""
    problems = []
    for device_id, table in sensors.items():
        where = f"sensors.{device_id}"
        if not _ID.fullmatch(device_id):
            problems.append(Problem(where, f"{device_id!r} is not a usable sensor id",
                                    "use 1-64 letters, digits, '_' or '-', e.g. chest-strap"))
        driver = table.get("driver")
        if not isinstance(driver, str):
            problems.append(Problem(f"{where}.driver", "missing", f"set one of: {', '.join(registry.names())}"))
            continue
        try:
            plugin = registry.plugin(driver)
        except KeyError:
            problems.append(Problem(f"{where}.driver", f"unknown driver {driver!r}",
                                    f"use one of: {', '.join(registry.names())} (edge-agent drivers lists them)"))
            continue
        except DriverUnavailable as exc:
            problems.append(Problem(f"{where}.driver", str(exc), "install the plugin that provides it"))
            continue
        options = {k: v for k, v in table.items() if k not in ("driver", "enabled")}
        try:
            plugin.options.model_validate(options)
        except pydantic.ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = ".".join([where, *(str(p) for p in err["loc"])])
                valid = ", ".join(plugin.options.model_fields)
                if err["type"] == "extra_forbidden":
                    problems.append(Problem(field, "unknown option", f"valid options of {driver}: {valid}"))
                else:
                    problems.append(Problem(field, err["msg"], f"see `edge-agent drivers --json` for an example of {driver}"))
    return problems


def _rfcomm_option(registry: Registry, table: dict[str, Any]) -> str | None:
    """The option naming a Bluetooth serial device's port, for a sensor whose driver talks to one."""
    try:
        plugin = registry.plugin(str(table.get("driver")))
    except (KeyError, DriverUnavailable):
        return None
    return plugin.target_option if plugin.hardware == "bluetooth-serial" else None


def bind_rfcomm(registry: Registry, sensors: dict[str, dict[str, Any]]) -> list[RfcommBinding]:
    """Give every Bluetooth serial device named by its address an rfcomm device; rewrites its port option."""
    bindings = []
    options = {device_id: _rfcomm_option(registry, table) for device_id, table in sensors.items()}
    used = {int(m.group(1)) for device_id, t in sensors.items() if (key := options[device_id])
            and isinstance(t.get(key), str) and (m := re.fullmatch(r"/dev/rfcomm(\d+)", t[key]))}
    index = 0
    for device_id, table in sensors.items():
        key = options[device_id]
        port = table.get(key) if key else None
        if key is None or not isinstance(port, str) or not _MAC.fullmatch(port):
            continue
        while index in used:
            index += 1
        binding = RfcommBinding(index, port.upper().replace("-", ":"))
        used.add(index)
        bindings.append(binding)
        table[key] = binding.device
    return bindings
