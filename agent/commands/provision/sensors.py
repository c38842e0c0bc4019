"""Pairing: from ``--sensor`` flags or scan results to ``[devices.ID]`` tables, validated.

``--sensor [ID:]DRIVER[=TARGET]``: TARGET goes into the option that names
the device for that driver: a Bluetooth address (or an advertised name) for
BLE straps, a port for serial devices, a stream name for LSL, a path for
replay. A Shimmer given by its Bluetooth address gets an rfcomm binding:
``/dev/rfcommN`` bound by ``edge-agent-rfcomm@N.service`` before the agent
starts (see docs/operations.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pydantic

from agent.base.driver import Discovered, DriverPlugin, Registry
from agent.errors import DriverUnavailable
from agent.commands.provision.checks import Problem

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
    fields = plugin.options.model_fields
    if "address" in fields and _MAC.fullmatch(target):
        return {"address": target.upper().replace("-", ":")}
    for key in ("port", "path", "name", "address", "source_id"):
        if key in fields:
            return {key: target}
    return {"target": target}  # no such option: validation names the driver's real keys


def discovered_options(plugin: DriverPlugin, found: Discovered) -> dict[str, Any]:
    """The options for a device picked from a scan."""
    fields = plugin.options.model_fields
    if found.address.startswith("sim:"):
        return {}
    if "source_id" in fields and "name" in fields:  # LSL: the stream name, pinned to its source when it has one
        opts: dict[str, Any] = {"name": found.name}
        if "@" not in found.address:
            opts["source_id"] = found.address
        return opts
    return target_options(plugin, found.address)


def default_id(driver: str, taken: set[str]) -> str:
    base = driver.removeprefix("sim-")
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


def bind_rfcomm(sensors: dict[str, dict[str, Any]]) -> list[RfcommBinding]:
    """Give every Shimmer named by a Bluetooth address an rfcomm device; rewrites its ``port``."""
    bindings = []
    used = {int(m.group(1)) for t in sensors.values()
            if isinstance(t.get("port"), str) and (m := re.fullmatch(r"/dev/rfcomm(\d+)", t["port"]))}
    index = 0
    for table in sensors.values():
        port = table.get("port")
        if table.get("driver") != "shimmer-gsr" or not isinstance(port, str) or not _MAC.fullmatch(port):
            continue
        while index in used:
            index += 1
        binding = RfcommBinding(index, port.upper().replace("-", ":"))
        used.add(index)
        bindings.append(binding)
        table["port"] = binding.device
    return bindings
