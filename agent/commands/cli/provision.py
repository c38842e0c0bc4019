"""``edge-agent provision``: set identity, cloud credentials and sensors, check them, write them.

Non-interactive with flags and/or ``--from FILE``; on a terminal it asks for
what is missing (with defaults), checking each answer as it is typed, and can
pair sensors from a scan (:mod:`agent.commands.cli.provision_prompts`). Nothing is
written unless everything checks out; see :mod:`agent.commands.provision.plan`.
Exit 0 on success, 78 for a problem in what was given, 69 when the broker
cannot be reached.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agent.commands.cli.params import FiniteRange
from agent.errors import ConfigError, DriverUnavailable

if TYPE_CHECKING:
    from agent.base.driver import Registry

# The provisioning machinery (the config, the broker check, scanning) is imported when the command runs:
# `provision --help` must answer without numpy.

_path = click.Path(path_type=Path, dir_okay=False)


def _sensor_tables(flags: tuple[str, ...], registry: Registry) -> dict[str, dict[str, Any]]:
    from agent.commands.provision import sensors as pairing

    tables: dict[str, dict[str, Any]] = {}
    for text in flags:
        device_id, driver, target = pairing.parse_flag(text)
        device_id = device_id or pairing.default_id(registry, driver, set(tables))
        table: dict[str, Any] = {"driver": driver}
        try:
            table.update(pairing.target_options(registry.plugin(driver), target))
        except (KeyError, DriverUnavailable):
            pass  # reported with the fix by validation
        tables[device_id] = table
    return tables


@click.command()
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("/"), show_default=True,
              help="Install under this directory (a test or an image); config at ROOT/etc/edge-agent/agent.toml.")
@click.option("--from", "from_file", type=_path, help="A provisioning file (TOML); flags override it.")
@click.option("--site", help="Site id (topic level: lowercase letters, digits, - and _).")
@click.option("--device", help="This device's id (topic level).")
@click.option("--broker-host", help="MQTT broker host name or address.")
@click.option("--broker-port", type=click.IntRange(1, 65535), help="MQTT broker port [8883].")
@click.option("--username", help="MQTT username (password authentication).")
@click.option("--password-file", type=_path, help="File holding the MQTT password (first line).")
@click.option("--ca", "ca_file", type=_path, help="CA certificate (PEM) that signed the broker's certificate.")
@click.option("--cert", "cert_file", type=_path, help="Client certificate (PEM).")
@click.option("--key", "key_file", type=_path, help="Client private key (PEM).")
@click.option("--server-name", help="Name to verify in the broker's certificate, if not the host.")
@click.option("--sensor", "sensor_flags", multiple=True, metavar="[ID:]DRIVER[=TARGET]",
              help="A sensor: e.g. ble-heart-rate=A0:9E:1A:12:34:56, gsr:shimmer-gsr=00:06:66:AA:BB:CC, lsl=Muse.")
@click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), help="[agent] state_dir.")
@click.option("--runtime-dir", type=click.Path(path_type=Path, file_okay=False), help="[agent] runtime_dir.")
@click.option("--sessions-per-week", type=int, help="Prescription: sessions per week (with --minutes-per-session).")
@click.option("--minutes-per-session", type=float, help="Prescription: minutes per session.")
@click.option("--no-sync", is_flag=True, help="No cloud link: summaries wait in the outbox.")
@click.option("--offline", is_flag=True, help="Do not contact the broker (its credentials stay untested).")
@click.option("--broker-timeout", type=FiniteRange(min=0.5), default=10.0, show_default=True,
              help="Seconds to wait for the broker's CONNACK.")
@click.option("--interactive/--no-interactive", default=None, help="Ask for missing values [default: on a terminal].")
@click.option("--scan-driver", "scan_drivers", multiple=True, metavar="NAME", help="Interactive pairing scans with these drivers.")
@click.option("--scan-timeout", type=FiniteRange(min=0.5), default=8.0, show_default=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before writing.")
@click.option("--model-key", "model_keys", type=_path, multiple=True, metavar="KEY.pub",
              help="Trust this Ed25519 public key for signed model updates (repeat: two keys during a rotation).")
def provision(root: Path, from_file: Path | None, site: str | None, device: str | None, broker_host: str | None,
              broker_port: int | None, username: str | None, password_file: Path | None, ca_file: Path | None,
              cert_file: Path | None, key_file: Path | None, server_name: str | None, sensor_flags: tuple[str, ...],
              state_dir: Path | None, runtime_dir: Path | None, sessions_per_week: int | None,
              minutes_per_session: float | None, no_sync: bool, offline: bool, broker_timeout: float,
              interactive: bool | None, scan_drivers: tuple[str, ...], scan_timeout: float, yes: bool,
              model_keys: tuple[Path, ...]) -> None:
    """Provision this device: identity, MQTT endpoint and credentials, sensors."""
    from agent.base.driver import Registry
    from agent.commands.cli import provision_prompts as prompts
    from agent.commands.provision import request as requests
    from agent.commands.provision.plan import ProvisionFailed
    from agent.commands.provision.plan import provision as run_provision
    from agent.runtime.updates.provisioning import model_update_keys

    registry = Registry()
    interactive = sys.stdin.isatty() if interactive is None else interactive
    source = str(from_file) if from_file else "command line"
    data = requests.load_file(from_file) if from_file else {}
    flags = {
        "site": site, "device": device,
        "broker": {"host": broker_host, "port": broker_port, "username": username,
                   "password_file": _abs(password_file), "ca_file": _abs(ca_file), "cert_file": _abs(cert_file),
                   "key_file": _abs(key_file), "server_name": server_name},
        "agent": {"state_dir": _abs(state_dir), "runtime_dir": _abs(runtime_dir)},
        "sensors": _sensor_tables(sensor_flags, registry) or None,
        "sync": False if no_sync else None,
        "prescription": None if sessions_per_week is minutes_per_session is None else
        {"sessions_per_week": sessions_per_week, "minutes_per_session": minutes_per_session},
    }
    data = requests.merge(data, flags)
    password = None
    if interactive:
        password = prompts.ask_missing(data, registry, scan_drivers, scan_timeout)
    again = f"\nyour answers, to run again: {prompts.as_command(data)}" if interactive else ""
    try:
        req = requests.build(data, source)
    except ConfigError as exc:  # exits 78 (agent.commands.cli.exits), with the answers to type again
        raise ConfigError(str(exc) + again, source=exc.source, field=exc.field) from exc
    if interactive and not yes:
        chosen = ", ".join(f"{k} ({v.get('driver')})" for k, v in req.sensors.items()) or "none"
        click.echo(f"\nsite {req.site}  device {req.device}  broker {req.broker.host}:{req.broker.port}"
                   f"  sensors: {chosen}")
        if not click.confirm(f"Check and write to {root / 'etc/edge-agent'}?", default=True):
            raise click.ClickException("nothing written")
    trusted_keys = model_update_keys(root, model_keys)  # checked now, written only after the rest succeeded
    try:
        outcome = asyncio.run(run_provision(req, root, registry, offline=offline, broker_timeout_s=broker_timeout,
                                            password=password, progress=lambda m: click.echo(f"… {m}", err=True)))
    except ProvisionFailed as exc:  # 78, or 69 when the broker cannot be reached (exc.exit_code)
        raise ProvisionFailed(exc.problems, exc.exit_code, note=again) from exc
    click.echo(f"wrote {outcome.config}" + (f" (previous kept as {outcome.previous.name})" if outcome.previous else ""))
    for p in outcome.credentials:
        click.echo(f"wrote {p} (mode 0600, owner {outcome.owner.name})")
    for p in outcome.rfcomm:
        click.echo(f"wrote {p}")
    for p in trusted_keys.install():
        click.echo(f"trusted {p} for signed model updates")
    if outcome.broker_s is not None:
        click.echo(f"broker reachable with these credentials ({outcome.broker_s * 1000:.0f} ms)")
    for w in outcome.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    if outcome.rfcomm:
        click.echo("rfcomm bindings take effect after: systemctl daemon-reload")
    click.echo("next: edge-agent check, then systemctl restart edge-agent")


def _abs(p: Path | None) -> str | None:
    return None if p is None else str(p.expanduser().resolve())
