"""``edge-agent replay SOURCE --out FILE.jsonl``: a recording through the whole pipeline, a line per tick."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from agent import config as agent_config
from agent import logs
from agent.datasets import data_root
from agent.errors import EX_CONFIG, ConfigError


def _speed(value: str) -> float | str:
    if value == "max":
        return value
    try:
        speed = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number or 'max'") from None
    if not speed > 0:
        raise click.BadParameter("must be > 0")
    return speed


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Write one JSON line per tick here (t, distress, level, confidence, label, ...).")
@click.option("--speed", default="max", show_default=True, help="A multiple of real time, or 'max'.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Take the features, model, baseline and policy settings from this file.")
def replay(source: Path, out: Path, speed: str, config_path: Path | None) -> None:
    """Replay a recording (format detected from the path) through the agent.

    SOURCE is a file or an E4 folder; a relative path that does not exist here
    is looked up in the shared data folder ($EDGE_AGENT_DATA). The patient's
    stored baseline is neither used nor changed: the recording calibrates its own.
    """
    from agent.driver import Registry
    from agent.replay import replay as run_replay

    if not source.exists() and not source.is_absolute() and (data_root() / source).exists():
        source = data_root() / source
    if not source.exists():
        raise click.BadParameter(f"{source} does not exist (nor under {data_root()})", param_hint="SOURCE")
    registry = Registry()
    try:
        base = agent_config.load(config_path, registry) if config_path else agent_config.parse("", "<defaults>", registry)
    except ConfigError as exc:
        click.echo(f"edge-agent: configuration error\n{exc}", err=True)
        sys.exit(EX_CONFIG)
    logs.configure("warning", base.agent.log_format)
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as f:
        try:
            writer = run_replay(base, source.resolve(), f, speed=_speed(speed), registry=registry)
        except ConfigError as exc:
            click.echo(f"edge-agent: {exc}", err=True)
            sys.exit(EX_CONFIG)
    wall = time.perf_counter() - started
    if writer.lines == 0:
        click.echo(f"edge-agent: {source}: no ticks came out; is it a recording with sensor streams?", err=True)
        sys.exit(1)
    label = "with labels" if writer.has_label else "no label stream"
    click.echo(f"{writer.lines} ticks ({label}) -> {out} in {wall:.1f} s", err=True)
