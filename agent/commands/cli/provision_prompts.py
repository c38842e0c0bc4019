"""Interactive ``provision``: every answer is checked as it is typed, and asked again until it is right.

A wrong site id, a missing CA file or a malformed sensor is refused at its
own prompt with the reason, so the technician never reaches the end to find
that everything typed was lost. When a later step fails anyway (the broker
cannot be reached), :func:`as_command` gives the answers back as one command
line to run again.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import ssl
from pathlib import Path
from typing import Any

import click
import pydantic

from agent.base.driver import Discovered, Registry
from agent.commands.cli.scan import is_hardware, scan_all
from agent.commands.provision import sensors as pairing
from agent.errors import DriverUnavailable
from agent.outputs.sync.options import TopicId

_TOPIC = pydantic.TypeAdapter(TopicId)
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


def topic_id(text: str) -> str:
    try:
        return _TOPIC.validate_python(text.strip())
    except pydantic.ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def host(text: str) -> str:
    text = text.strip()
    if text and not _HOST.fullmatch(text):
        raise click.BadParameter(f"{text!r} is not a host name or address (e.g. mqtt.example.org, 10.0.0.5)")
    return text


def pem_file(kind: str, *, optional: bool = True):
    def check(text: str) -> str:
        text = text.strip()
        if not text and optional:
            return ""
        path = Path(text).expanduser()
        if not path.is_file():
            raise click.BadParameter(f"{path} does not exist; give the path of the {kind} (PEM)")
        if kind == "CA certificate":
            try:
                ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
            except (ssl.SSLError, OSError) as exc:
                raise click.BadParameter(f"{path} is not a PEM CA certificate ({exc})") from None
        return str(path.resolve())
    return check


def sensor_table(text: str, registry: Registry, taken: set[str]) -> tuple[str, dict[str, Any]]:
    """``[ID:]DRIVER=TARGET`` typed by hand, validated as the agent will validate it."""
    device_id, driver, target = pairing.parse_flag(text)
    device_id = device_id or pairing.default_id(registry, driver, taken)
    table: dict[str, Any] = {"driver": driver}
    try:
        table.update(pairing.target_options(registry.plugin(driver), target))
    except (KeyError, DriverUnavailable):
        pass  # validate() names the problem and the installed drivers
    problems = pairing.validate(registry, {device_id: table})
    if problems:
        raise click.BadParameter("; ".join(f"{p.field}: {p.message} ({p.fix})" for p in problems))
    return device_id, table


def ask_missing(data: dict[str, Any], registry: Registry, scan_drivers: tuple[str, ...],
                scan_timeout_s: float) -> str | None:
    """Prompt for what the flags and file left out; returns a typed password, if one was asked for."""
    password = None
    if data.get("sync", True):
        if "site" not in data:
            data["site"] = click.prompt("Site id (clinic or home, e.g. clinic-a)", value_proc=topic_id)
        if "device" not in data:
            data["device"] = click.prompt("Device id", default=_hostname_id(), value_proc=topic_id)
        broker = data.setdefault("broker", {})
        if not broker.get("host"):
            given = click.prompt("MQTT broker host (empty: no cloud sync)", default="", show_default=False,
                                 value_proc=host)
            if not given:
                data["sync"] = False
            else:
                broker["host"] = given
                broker.setdefault("port", click.prompt("MQTT broker port", default=8883,
                                                       type=click.IntRange(1, 65535)))
                ca = click.prompt("CA certificate file (empty: no TLS, not recommended)", default="",
                                  show_default=False, value_proc=pem_file("CA certificate"))
                if ca:
                    broker["ca_file"] = ca
                    cert = click.prompt("Client certificate file (empty: none)", default="", show_default=False,
                                        value_proc=pem_file("client certificate"))
                    if cert:
                        broker["cert_file"] = cert
                        broker["key_file"] = click.prompt("Client key file",
                                                          value_proc=pem_file("client key", optional=False))
                user = click.prompt("MQTT username (empty: none)", default="", show_default=False)
                if user:
                    broker["username"] = user
                    password = click.prompt("MQTT password", hide_input=True, confirmation_prompt=True)
    if not data.get("sensors"):
        data["sensors"] = pair(registry, scan_drivers, scan_timeout_s)
    return password


def _hostname_id() -> str:
    import socket

    return re.sub(r"[^a-z0-9_-]", "-", socket.gethostname().lower()).strip("-")[:64] or "edge"


def pair(registry: Registry, scan_drivers: tuple[str, ...], timeout_s: float) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    if click.confirm("Scan for sensors now (BLE straps with RSSI, serial ports, LSL streams)?", default=True):
        names = list(scan_drivers) or [n for n in registry.names() if is_hardware(registry, n)]
        results = asyncio.run(scan_all(registry, names, timeout_s, lambda line: click.echo(line, err=True)))
        found: list[Discovered] = [d for r in results for d in r.found]
        for i, d in enumerate(found, 1):
            rssi = f"  RSSI {d.rssi} dBm" if d.rssi is not None else ""
            click.echo(f"  {i:>2}. {d.driver:<16} {d.address:<30} {d.name}{rssi}")
        for r in results:
            if r.unavailable or r.error:
                click.echo(f"      ({r.driver}: {r.unavailable or r.error})")
        if found:
            def numbers(text: str) -> list[int]:
                parts = [p.strip() for p in text.split(",") if p.strip()]
                bad = [p for p in parts if not p.isdigit() or not 1 <= int(p) <= len(found)]
                if bad:
                    raise click.BadParameter(f"{', '.join(bad)}: give numbers from 1 to {len(found)}")
                return [int(p) for p in parts]

            picked = click.prompt("Sensors to use (numbers, comma-separated; empty: none)", default="",
                                  show_default=False, value_proc=numbers)
            for n in picked:
                d = found[n - 1]
                device_id = click.prompt(f"Id for {d.name or d.address}",
                                         default=pairing.default_id(registry, d.driver, set(tables)),
                                         value_proc=lambda t: _sensor_id(t, set(tables)))
                tables[device_id] = {"driver": d.driver, **pairing.discovered_options(registry.plugin(d.driver), d)}
    while True:
        more = click.prompt("Add a sensor by hand ([ID:]DRIVER=TARGET, e.g. gsr:shimmer-gsr=00:06:66:AA:BB:CC; "
                            "empty: done)", default="", show_default=False,
                            value_proc=lambda t: sensor_table(t, registry, set(tables)) if t.strip() else None)
        if more is None:
            return tables
        tables[more[0]] = more[1]


def _sensor_id(text: str, taken: set[str]) -> str:
    text = text.strip()
    if not pairing.ID_PATTERN.fullmatch(text):
        raise click.BadParameter(f"{text!r}: use 1-64 letters, digits, '_' or '-', e.g. chest-strap")
    if text in taken:
        raise click.BadParameter(f"{text!r} is already used by another sensor")
    return text


def as_command(data: dict[str, Any]) -> str:
    """The answers as a command line to run again (the password is never shown: give it in a file)."""
    args = ["edge-agent", "provision"]
    for key in ("site", "device"):
        if data.get(key):
            args += [f"--{key}", str(data[key])]
    b = data.get("broker") or {}
    flags = {"host": "--broker-host", "port": "--broker-port", "username": "--username", "ca_file": "--ca",
             "cert_file": "--cert", "key_file": "--key", "server_name": "--server-name"}
    for key, flag in flags.items():
        if b.get(key):
            args += [flag, str(b[key])]
    if b.get("username"):
        args += ["--password-file", "FILE"]
    if data.get("sync") is False:
        args.append("--no-sync")
    for device_id, table in (data.get("sensors") or {}).items():
        target = next((str(v) for k, v in table.items() if k != "driver"), "")
        args += ["--sensor", f"{device_id}:{table['driver']}" + (f"={target}" if target else "")]
    return shlex.join(args)
