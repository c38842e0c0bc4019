"""``edge-agent drivers``: what is installed, and what each driver needs.

A driver is available when its library imports: that is what fails on a
headset without the extra (or with a broken one). The library is imported
for real; the driver's own module is only found, not run, so this command
does not load numpy and the signal code for the drivers it lists.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from importlib import metadata

import click

from agent.base.driver import ENTRY_POINT_GROUP, DriverPlugin, Registry
from agent.errors import DriverUnavailable

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*;\s*extra\s*==\s*['\"]([^'\"]+)['\"]")


def extra_libraries(dist: metadata.Distribution | None, extra: str | None) -> list[str]:
    """The top-level modules of the packages that ``extra`` of ``dist`` installs (``ble``: bleak, dbus_fast)."""
    if dist is None or extra is None:
        return []
    names = [m.group(1) for r in dist.requires or [] if (m := _REQUIREMENT.match(r)) and m.group(2) == extra]
    modules: list[str] = []
    for name in names:
        try:
            modules += _top_level(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            modules.append(name.replace("-", "_").lower())  # not installed: importing it says so
    return modules


def _top_level(dist: metadata.Distribution) -> list[str]:
    listed = dist.read_text("top_level.txt")
    if listed:
        return [line.strip() for line in listed.splitlines() if line.strip()]
    return sorted({f.parts[0] for f in dist.files or [] if len(f.parts) == 2 and f.name == "__init__.py"})


def probe(plugin: DriverPlugin, dist: metadata.Distribution | None) -> None:
    """Raise DriverUnavailable if ``plugin``'s library does not import or its module is not there."""
    for module in extra_libraries(dist, plugin.extra):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise DriverUnavailable(plugin.name, plugin.extra, f"{type(exc).__name__}: {exc}") from exc
    module_name = plugin.target.partition(":")[0]
    try:
        found = importlib.util.find_spec(module_name) is not None
    except ImportError as exc:
        raise DriverUnavailable(plugin.name, plugin.extra, f"{type(exc).__name__}: {exc}") from exc
    if not found:
        raise DriverUnavailable(plugin.name, plugin.extra, f"ModuleNotFoundError: no module named {module_name!r}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def drivers(as_json: bool) -> None:
    """List the installed drivers and whether their libraries are available."""
    registry = Registry()
    dists = {ep.name: ep.dist for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    rows = []
    for name in registry.names():
        row: dict[str, object] = {"name": name}
        try:
            plugin = registry.plugin(name)
            row.update(summary=plugin.summary, extra=plugin.extra, example=dict(plugin.example))
            probe(plugin, dists.get(name))
            row["available"] = True
        except DriverUnavailable as exc:
            row.update(available=False, error=str(exc))
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        mark = "ok " if row["available"] else "-- "
        click.echo(f"{mark}{row['name']:<16} {row.get('summary', '')}")
        if not row["available"]:
            click.echo(f"    {row['error']}")
