"""``edge-agent check``: the self-test a technician runs after provisioning.

Every step prints pass / warn / fail, what was measured and, when it is not
a pass, one line saying what to do. Exit 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from agent import config as agent_config
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.commands.cli.params import FiniteRange
from agent.commands.selftest import Context, run_checks
from agent.commands.selftest.step import Step
from agent.errors import ConfigError
from agent.runtime import logs

_MARK = {"pass": ("PASS", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "red")}


def render(steps: list[Step], *, colour: bool) -> list[str]:
    lines = []
    for s in steps:
        mark, fg = _MARK[s.status]
        mark = click.style(mark, fg=fg, bold=True) if colour else mark
        lines.append(f"{mark}  {s.name:<22} {s.figure}")
        if s.detail and s.status != "pass":
            lines.append(f"      {s.detail}")
        if s.fix and s.status != "pass":
            lines.append(f"      fix: {s.fix}")
    failed = sum(s.status == "fail" for s in steps)
    warned = sum(s.status == "warn" for s in steps)
    verdict = f"{len(steps) - failed - warned} passed, {warned} warning(s), {failed} failed"
    lines += ["", click.style(verdict, fg="red" if failed else "green", bold=True) if colour else verdict]
    return lines


def config_step(config: agent_config.AgentConfig) -> Step:
    if config.source == agent_config.EMBEDDED:
        return Step("config", "warn", config.source,
                    f"no config file found ({agent_config.DEFAULT_PATH}, ${agent_config.ENV_VAR}): "
                    "testing the embedded default, which has only simulated sensors",
                    "provision this device (edge-agent provision), or name its file with --config")
    return Step("config", "pass", config.source, f"{len(config.devices)} sensor(s)")


def simulated(step: Step, config: agent_config.AgentConfig) -> Step:
    """A simulated sensor that streams proves the agent works, not that any hardware does: say so."""
    plugins = {f"sensor {d.device_id}": d.plugin for d in config.devices}
    plugin = plugins.get(step.name)
    if plugin is None or plugin.is_hardware or step.status != "pass":
        return step
    return dataclasses.replace(step, status="warn", detail=f"SIMULATED sensor ({plugin.name}): this tests the agent, not hardware",
                               fix="pair the real sensors: edge-agent scan, then edge-agent provision --sensor ...")


def _run(config: agent_config.AgentConfig, seconds: float, min_free_mb: float, broker_timeout: float, speed: float,
         progress: Callable[[str], None]) -> list[Step]:
    ctx = Context(config, seconds=seconds, min_free_mb=min_free_mb, broker_timeout_s=broker_timeout,
                  clock=Clock(speed), progress=progress)
    return asyncio.run(run_checks(ctx))


@click.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Config file (default: ${agent_config.ENV_VAR}, else {agent_config.DEFAULT_PATH}).")
@click.option("--seconds", type=FiniteRange(min=1.0), default=5.0, show_default=True,
              help="How long each sensor streams at least, from its first data; slow streams longer "
                   "(10 samples each, at most 60 s).")
@click.option("--min-free-mb", type=FiniteRange(min=0), default=500.0, show_default=True,
              help="Free space needed under the state directory.")
@click.option("--broker-timeout", type=FiniteRange(min=0.5), default=10.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--speed", type=FiniteRange(min=0, min_open=True), default=1.0, hidden=True,
              help="Agent clock speed (simulated sensors only; for tests).")
def check(config_path: Path | None, seconds: float, min_free_mb: float, broker_timeout: float, as_json: bool,
          speed: float) -> None:
    """Self-test: sensors stream and their quality is judged, the VR socket, the broker, the disk."""
    logs.configure("error", "console")  # the report is the output; driver chatter would drown it
    bars = sys.stderr.isatty() and not as_json
    try:
        config = agent_config.load(config_path, Registry())
    except ConfigError as exc:
        steps = [Step("config", "fail", "", str(exc), "edit the file, or write a new one: edge-agent provision")]
    else:
        steps = [config_step(config)]
        if bars:
            from agent.commands.cli.progress import StepBars  # rich: only for a person at a terminal

            with StepBars() as progress:
                steps += _run(config, seconds, min_free_mb, broker_timeout, speed, progress)
        else:
            progress = (lambda line: None) if as_json else (lambda line: click.echo(f"… {line}", err=True))
            steps += _run(config, seconds, min_free_mb, broker_timeout, speed, progress)
        steps = [simulated(step, config) for step in steps]
    failed = any(s.status == "fail" for s in steps)
    if as_json:
        click.echo(json.dumps({"ok": not failed, "steps": [s.as_dict() for s in steps]}, indent=2))
    else:
        click.echo("\n".join(render(steps, colour=sys.stdout.isatty())))
    sys.exit(1 if failed else 0)
