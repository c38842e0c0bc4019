"""``edge-agent replay SOURCE --out FILE.jsonl``: a recording through the core, a line per tick."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import click

from agent import config as agent_config
from agent.base.datasets import data_root
from agent.runtime import logs


def _formats() -> list[str]:
    from agent.replay import format_names

    try:
        return format_names()
    except Exception:  # the replay driver missing must not break --help; the run itself says why
        return ["auto"]


@click.command(epilog="Formats: " + ", ".join(_formats()))
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", required=True, help="Write one JSON line per tick here ('-': standard output).")
@click.option("--format", "fmt", type=click.Choice(_formats()), default="auto", show_default=True,
              help="The recording's format; 'auto' tells it from the name and first bytes.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Take the features, model, baseline and policy settings from this file.")
def replay(source: Path, out: str, fmt: str, config_path: Path | None) -> None:
    """Replay a recording through the agent's core, as fast as it computes.

    SOURCE is a file or an E4 folder; a relative path that does not exist here
    is looked up in the shared data folder ($EDGE_AGENT_DATA). Each line holds
    t (s from the recording's start), distress (null while the agent holds),
    level, confidence, intensity, reasons and, where the recording has one,
    its label. The same recording and settings always give the same bytes.
    The recording calibrates its own baseline from its start; the patient's
    stored profile is neither used nor changed.
    """
    from agent.base.driver import Registry
    from agent.replay import build_core, open_recorded
    from agent.replay import replay as run_replay

    if not source.exists() and not source.is_absolute() and (data_root() / source).exists():
        source = data_root() / source
    if not source.exists():
        raise click.BadParameter(f"{source} does not exist (nor under {data_root()})", param_hint="SOURCE")
    # A bad config: 78; an unreadable recording: 65; Ctrl-C: 130 (agent.commands.cli.exits).
    registry = Registry()
    base = agent_config.load(config_path, registry) if config_path else agent_config.parse("", "<defaults>", registry)
    logs.configure("warning", base.agent.log_format)
    core = build_core(base)
    # absolute, not resolved: an error names the path as typed, not where a symlink leads
    recorded = open_recorded(source.absolute(), fmt, registry=registry)
    started = time.perf_counter()
    try:
        with _output(out) as f, _progress(recorded.duration_s) as progress:
            result = run_replay(base, recorded, f, progress=progress, core=core)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()
        sys.exit(0)
    wall = time.perf_counter() - started
    if result.lines == 0:
        raise click.ClickException(f"{source}: no ticks came out; is it a recording with sensor streams?")
    label = "with labels" if result.has_label else "no label stream"
    speed = f", {result.recorded_s / wall:,.0f}x real time" if wall > 0 else ""
    click.echo(f"{result.lines} ticks ({label}) -> {out} in {wall:.1f} s{speed}", err=True)


@contextlib.contextmanager
def _output(out: str):  # noqa: ANN202
    if out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with Path(out).open("w", encoding="utf-8") as f:
        yield f


@contextlib.contextmanager
def _progress(total_s: float):  # noqa: ANN202
    """A progress bar on a terminal (rich); nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("replaying"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                  TimeRemainingColumn(), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("recording", total=max(total_s, 1e-9))
        yield lambda t: bar.update(task, completed=min(t, total_s))


def _stderr_console():  # noqa: ANN202
    from rich.console import Console

    return Console(stderr=True)



