"""``edge-agent status``: what the running agent is doing, from its status snapshot.

Reads ``{runtime_dir}/status.json`` (see :mod:`agent.runtime.statusfile`); it never
talks to the agent, so it cannot disturb it. On a terminal it refreshes
every second; ``--once`` and ``--json`` are for scripts. Exit 0 when a live
agent answered, 3 when none is running or its status is stale (as
``systemctl status`` does for an inactive unit).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from agent import config_file
from agent.commands.cli.params import FiniteRange
from agent.runtime import statusfile

EXIT_NOT_RUNNING = 3
_STATE_COLOUR = {"streaming": "green", "connecting": "yellow", "backoff": "red", "unavailable": "red",
                 "misconfigured": "red", "online": "green"}
_LEVEL_COLOUR = {"calm": "green", "elevated": "yellow", "distressed": "red", "hold": "cyan"}


def render(reading: statusfile.Reading, *, colour: bool, now: float | None = None) -> list[str]:
    """The human view of one snapshot."""
    c = (lambda text, fg: click.style(text, fg=fg)) if colour else (lambda text, fg: text)
    if reading.data is None:
        return [c(f"edge-agent: {reading.problem}", "red")]
    d = reading.data
    lines = []
    if reading.problem:
        lines.append(c(f"NOT LIVE: {reading.problem}", "red"))
    lines.append(f"edge-agent {d.get('version', '?')}  pid {d.get('pid')}  {d.get('state')}  up {d.get('uptime_s', 0):.0f} s"
                 f"  status {reading.age_s:.1f} s old  config {d.get('config')}")
    lines.append("")
    lines.append(f"{'sensor':<16} {'state':<13} {'stream':<8} {'rate Hz':>12} {'quality':<22} {'gaps':>4} {'disc':>4}")
    for dev in d.get("devices", []):
        state = dev["state"]
        head = f"{dev['device_id']:<16} {c(f'{state:<13}', _STATE_COLOUR.get(state, 'white'))}"
        streams = dev.get("streams", {})
        if not streams:
            lines.append(f"{head} {'':<8} {'':>12} {dev.get('detail', '')[:60]}")
            continue
        for i, (name, s) in enumerate(streams.items()):
            rate = "-" if s.get("rate_hz") is None else f"{s['rate_hz']:.1f}"
            if s.get("nominal_hz"):
                rate += f"/{s['nominal_hz']:g}"
            quality = "ok" if s.get("quality_ok", True) else f"poor: {s.get('quality_reason') or 'device'}"
            quality = c(f"{quality[:22]:<22}", "green" if s.get("quality_ok", True) else "red")
            prefix = head if i == 0 else f"{'':<16} {'':<13}"
            tail = f"{dev['gaps']:>4} {dev['disconnects']:>4}" if i == 0 else ""
            lines.append(f"{prefix} {name:<8} {rate:>12} {quality} {tail}")
    lines.append("")
    a = d.get("adaptation")
    cal = d.get("calibration", 0.0)
    if a is None:
        lines.append("level        (no decision yet)")
    else:
        level = c(a["level"], _LEVEL_COLOUR.get(a["level"], "white"))
        lines.append(f"level        {level}  distress {a['distress']:.2f} of 1  confidence {a['confidence']:.2f}"
                     f"  calibration {cal:.0%}")
        lines.append(f"why          {'; '.join(a['reasons']) or '-'}")
    q = d.get("readings_queue") or {}
    lines.append(f"pipeline     {d.get('ticks', 0)} ticks  queue {q.get('depth', 0)}/{q.get('capacity', 0)}"
                 f"  dropped {q.get('dropped', 0)}  VR clients {d.get('vr_clients', '-')}")
    lines.append(_outbox_line(d.get("outbox")))
    lines.append(_sync_line(d.get("sync"), now=now, live=reading.problem is None))
    lines.extend(model_lines(d.get("model")))
    return lines


def _outbox_line(o: dict[str, Any] | None) -> str:
    if o is None:
        return "outbox       (not open)"
    return f"outbox       {o['records']} waiting ({o['bytes'] / 1e3:.0f} kB of {o['max_bytes'] / 1e6:.0f} MB)"


def _sync_line(s: dict[str, Any] | None, *, now: float | None, live: bool = True) -> str:
    if s is None:
        return "cloud        not configured ([sync] absent or disabled): summaries wait in the outbox"
    now = time.time() if now is None else now
    last = s.get("last_delivery_at")
    last_text = "never" if last is None else f"{max(0.0, now - last):.0f} s ago"
    # A stopped agent is connected to nothing, whatever its last snapshot said.
    state = s["state"] if live else f"unknown (agent not live; it last reported {s['state']})"
    line = f"cloud        {state} {s['broker']}  delivered {s['delivered']}  last sync {last_text}"
    if s.get("last_error"):
        line += f"\n             error: {s['last_error']}"
    return line


def model_lines(m: dict[str, Any] | None) -> list[str]:
    """The distress model and its updates (agent.runtime.updates): version, pin, the step under way, the last outcome."""
    if not m:
        return []
    version = m.get("active_version", 0)
    line = f"model        {m.get('label', '?')} (version {version or 'packaged'})  {m.get('mode', '')}"
    if m.get("pin") is not None:
        line += f"  pinned to {m['pin']}"
    state = m.get("state")
    if state == "off":
        line += f"  updates off: {m.get('why') or '-'}"
    elif state not in (None, "idle"):
        line += f"  update {state}"
        if m.get("offered") is not None:
            line += f" v{m['offered']}"
        progress = m.get("progress") or {}
        if progress.get("total"):
            line += f" {progress['have'] / progress['total']:.0%}"
    lines = [line]
    c = m.get("comparison")
    if c:
        agree = "-" if c.get("agreement") is None else f"{c['agreement']:.0%}"
        lines.append(f"             {c['ticks']} ticks compared, agreement {agree}, silent {c['silent']}, "
                     f"NaN {c['nan']}, errors {c['errors']}")
    last = m.get("last")
    if last:
        lines.append(f"             last: {last['event']} v{last.get('version')}: {str(last.get('detail', ''))[:100]}")
    return lines


def status_path(config_path: Path | None, runtime_dir: Path | None) -> Path:
    if runtime_dir is not None:
        return statusfile.path_for(runtime_dir)
    return statusfile.path_for(config_file.locate(config_path).runtime_dir)


@click.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Config file of the agent to look at (its [agent] runtime_dir holds status.json).")
@click.option("--runtime-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Read status.json from this directory instead of the config's runtime_dir.")
@click.option("--once", is_flag=True, help="Print once and exit (the default off a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the raw snapshot as JSON, once.")
@click.option("--every", type=FiniteRange(min=0.2), default=1.0, show_default=True, help="Refresh period, seconds.")
def status(config_path: Path | None, runtime_dir: Path | None, once: bool, as_json: bool, every: float) -> None:
    """Show the running agent live: sensors, quality, level, outbox depth, last sync."""
    path = status_path(config_path, runtime_dir)
    if as_json:
        reading = statusfile.read(path)
        click.echo(json.dumps({"live": reading.live, "problem": reading.problem, "age_s": reading.age_s,
                               "path": str(path), "status": reading.data}, indent=2))
        sys.exit(0 if reading.live else EXIT_NOT_RUNNING)
    tty = sys.stdout.isatty()
    if once or not tty:
        reading = statusfile.read(path)
        click.echo("\n".join(render(reading, colour=tty)))
        sys.exit(0 if reading.live else EXIT_NOT_RUNNING)
    try:
        while True:
            reading = statusfile.read(path)
            click.echo("\x1b[H\x1b[J" + "\n".join(render(reading, colour=True)) + "\n\n(Ctrl-C to quit)", nl=False)
            time.sleep(every)  # a foreground viewer with nothing else to do
    except KeyboardInterrupt:
        click.echo()
