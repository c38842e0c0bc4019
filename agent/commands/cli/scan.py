"""``edge-agent scan``: every installed driver's ``discover()`` at once, with progress.

Lists what was found (driver, address / port / stream, name, RSSI where BLE
gives it), and says which drivers are unavailable and which pip extra
installs them, and why a driver could not scan at all (no Bluetooth stack,
no adapter, adapter off, permission denied) with the fix. Exit 69 when
nothing was found and some driver could not look. Simulated devices and recordings are not hardware, so they
are listed only with ``--all`` or when named with ``--driver``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import click

from agent.base.driver import Discovered, Registry
from agent.commands.cli.params import FiniteRange
from agent.errors import AgentError, DriverUnavailable, ScanUnavailable

_GRACE_S = 5.0  # beyond the scan timeout, for a driver's own set-up and tear-down


def is_hardware(registry: Registry, name: str) -> bool:
    """Whether ``name`` talks to hardware (scan looks for it); a driver that cannot load is shown as unavailable."""
    try:
        return registry.plugin(name).is_hardware
    except (KeyError, DriverUnavailable):
        return True


@dataclass
class DriverScan:
    driver: str
    found: list[Discovered] = field(default_factory=list)
    unavailable: str | None = None  # the driver's library is missing: what to install
    error: str | None = None  # the scan itself failed (no Bluetooth adapter, say)
    fix: str | None = None  # what to do about ``error``, when the driver knows
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"driver": self.driver, "found": [dataclasses.asdict(d) for d in self.found],
                "unavailable": self.unavailable, "error": self.error, "fix": self.fix,
                "seconds": round(self.seconds, 2)}


Progress = Callable[[str], None]


async def scan_one(registry: Registry, name: str, timeout_s: float, progress: Progress) -> DriverScan:
    result = DriverScan(name)
    started = time.monotonic()
    try:
        cls = registry.plugin(name).load()
    except DriverUnavailable as exc:
        result.unavailable = str(exc)
        progress(f"  {name}: unavailable")
        return result
    try:
        async with asyncio.timeout(timeout_s + _GRACE_S):
            result.found = list(await cls.discover(timeout_s))
    except TimeoutError:
        result.error = f"no answer within {timeout_s + _GRACE_S:g} s"
    except ScanUnavailable as exc:
        result.error, result.fix = exc.problem, exc.fix
    except (AgentError, OSError) as exc:
        result.error = str(exc) or type(exc).__name__
    except Exception as exc:  # a plugin's bug must not hide what the other drivers found
        result.error = f"driver error {type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - started
    progress(f"  {name}: {'error' if result.error else f'{len(result.found)} found'} ({result.seconds:.1f} s)")
    return result


async def scan_all(registry: Registry, names: Iterable[str], timeout_s: float, progress: Progress,
                   on_done: Callable[[DriverScan], None] | None = None) -> list[DriverScan]:
    """Run the drivers' scans concurrently; progress lines (or ``on_done``) as each finishes."""
    names = list(names)
    progress(f"scanning with {len(names)} driver(s) for up to {timeout_s:g} s: {', '.join(names)}")

    async def one(name: str) -> DriverScan:
        result = await scan_one(registry, name, timeout_s, progress)
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(n) for n in names)))


def nothing_scanned(results: list[DriverScan]) -> bool:
    """No device found and some driver could not even look: the technician must fix that first."""
    if any(r.found for r in results):
        return False
    return any(r.error for r in results) or all(r.unavailable for r in results)


def render(results: list[DriverScan]) -> list[str]:
    lines = [f"{'#':>3}  {'driver':<16} {'address / port / stream':<34} {'RSSI':>5}  name"]
    i = 0
    for r in results:
        for d in r.found:
            i += 1
            rssi = "" if d.rssi is None else f"{d.rssi}"
            extra = f"  ({d.details})" if d.details else ""
            lines.append(f"{i:>3}  {r.driver:<16} {d.address:<34} {rssi:>5}  {d.name}{extra}")
    scanned = [r.driver for r in results if not (r.error or r.unavailable)]
    if i == 0 and scanned and len(scanned) == len(results):
        lines.append("     (nothing found: are the sensors switched on, charged and in range?)")
    elif i == 0:
        could = f"; {', '.join(scanned)} looked and found nothing" if scanned else ""
        lines.append(f"     (nothing found, and some drivers could not scan at all{could})")
    problems: dict[tuple[str, str | None], list[str]] = {}  # the BLE drivers share one stack: say it once
    for r in results:
        if r.unavailable:
            lines.append(f"unavailable: {r.unavailable}")
        elif r.error:
            problems.setdefault((r.error, r.fix), []).append(r.driver)
    for (error, fix), drivers in problems.items():
        lines.append(f"cannot scan ({', '.join(drivers)}): {error}")
        if fix:
            lines.append(f"      fix: {fix}")
    return lines


def pick_names(registry: Registry, drivers: tuple[str, ...], include_all: bool) -> list[str]:
    installed = registry.names()
    unknown = [d for d in drivers if d not in installed]
    if unknown:
        raise click.BadParameter(f"unknown driver(s) {', '.join(unknown)}; installed: {', '.join(installed)}",
                                 param_hint="--driver")
    if drivers:
        return list(drivers)
    return [n for n in installed if include_all or is_hardware(registry, n)]


@click.command()
@click.option("--timeout", "timeout_s", type=FiniteRange(min=0.5), default=8.0, show_default=True,
              help="How long each driver looks (BLE listens for advertisements this long).")
@click.option("--driver", "drivers", multiple=True, metavar="NAME", help="Scan with these drivers only (repeatable).")
@click.option("--all", "include_all", is_flag=True, help="Also list simulated devices and recordings.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def scan(timeout_s: float, drivers: tuple[str, ...], include_all: bool, as_json: bool) -> None:
    """Look for sensors: BLE straps (with RSSI), serial ports, LSL streams."""
    registry = Registry()
    names = pick_names(registry, drivers, include_all)
    if sys.stderr.isatty() and not as_json:
        from agent.commands.cli.progress import scan_with_bars  # rich: only for a person at a terminal

        results = asyncio.run(scan_with_bars(
            lambda done: scan_all(registry, names, timeout_s, lambda line: None, done), names, timeout_s, _GRACE_S))
    else:
        results = asyncio.run(scan_all(registry, names, timeout_s, lambda line: click.echo(line, err=True)))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        click.echo("\n".join(render(results)))
    if nothing_scanned(results):  # exits 69 (agent.commands.cli.exits): nothing here can look for sensors
        raise ScanUnavailable("no driver could scan", "see the reasons above")
