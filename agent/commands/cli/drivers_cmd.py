"""``edge-agent drivers``: what is installed, and what each driver needs."""

from __future__ import annotations

import json

import click

from agent.base.driver import Registry
from agent.errors import DriverUnavailable


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def drivers(as_json: bool) -> None:
    """List the installed drivers and whether their libraries are available."""
    registry = Registry()
    rows = []
    for name in registry.names():
        row: dict[str, object] = {"name": name}
        try:
            plugin = registry.plugin(name)
            row.update(summary=plugin.summary, extra=plugin.extra, example=dict(plugin.example))
            plugin.load()
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
