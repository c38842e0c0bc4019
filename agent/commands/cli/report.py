"""``edge-agent report``: the clinician's outcome report from a backend database (see :mod:`agent.backend.report`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from agent.errors import DriverUnavailable


@click.command("report")
@click.option("--db", "database", required=True, metavar="FILE|postgresql://…", help="The database `ingest` fills.")
@click.option("--device", help="Only this device (patient headset).")
@click.option("--site", help="Only this site.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Only sessions that started on or after this day (UTC).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for index.html, sessions.csv and charts/.")
@click.option("--fhir", is_flag=True, help="Also write fhir-bundle.json: pain ratings as FHIR R4 Observations.")
def command(database: str, device: str | None, site: str | None, since: dt.datetime | None, out: Path,
            fhir: bool) -> None:
    """Charts per session; compliance, pain change and time in the window of tolerance per device."""
    if device is not None and site is not None:
        raise click.UsageError("give --device or --site, not both")
    try:
        from agent.backend.report import build
        from agent.backend.report.data import Selection
        from agent.backend.stores import open_store
    except ImportError as exc:
        raise DriverUnavailable("report", "backend", str(exc)) from None
    store = open_store(database, consumer="report")  # a bad URL: 78; the database is not there: 69
    try:
        selection = Selection(device, site, since.replace(tzinfo=dt.UTC).timestamp() if since else None)
        result = build(store, out, selection, fhir=fhir)
    finally:
        store.close()
    click.echo(f"wrote {result.index} ({len(result.session_charts)} sessions, {len(result.devices)} devices)")
    click.echo(f"wrote {result.csv}")
    if result.fhir is not None:
        click.echo(f"wrote {result.fhir}")
