"""``edge-agent run``: start the agent in the foreground (systemd runs this)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import click
import structlog

from agent import config as agent_config
from agent.app import Agent
from agent.app import run as run_agent
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.commands import protection
from agent.commands.cli import liveview
from agent.commands.cli.params import FiniteRange
from agent.errors import AgentAlreadyRunning, ConfigError
from agent.runtime import logs, statusfile


@click.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Config file (default: ${agent_config.ENV_VAR}, else {agent_config.DEFAULT_PATH}, "
                   "else the embedded simulated setup).")
@click.option("--simulate", is_flag=True, help="Replace the configured devices with the simulated sensors.")
@click.option("--for", "duration_s", type=FiniteRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop after this long and exit 0.")
@click.option("--view", type=click.Choice(["auto", "live", "plain", "none"]), default="auto", show_default=True,
              help="live: redraw on a terminal; plain: print a table every 2 s; auto: live on a terminal, else none.")
@click.option("--speed", type=FiniteRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Run the agent clock this many times faster than real time (simulation and replay only).")
def run(config_path: Path | None, simulate: bool, duration_s: float | None, view: str, speed: float) -> None:
    """Run the agent: read sensors, process, adapt, sync."""
    registry = Registry()
    config = agent_config.load(config_path, registry, simulate=simulate)  # a ConfigError exits 78 (agent.commands.cli.exits)
    if not config.devices:
        raise ConfigError(f"{config.source}: devices: no sensor is configured or enabled; fix: add a "
                          "[devices.NAME] table (edge-agent provision, edge-agent scan), or run with --simulate",
                          source=config.source, field="devices")
    if view == "auto":
        view = "live" if sys.stdout.isatty() else "none"
    # Where to find this agent, in every view: vr-tail and status with the same config find it there.
    click.echo(f"edge-agent: config {config.source}; VR socket {config.vrlink.socket_path}; "
               f"status file {statusfile.path_for(config.agent.runtime_dir)}", err=True)
    warnings = protection.static_warnings(config)
    for w in warnings:
        click.echo(f"edge-agent: warning: {w}", err=True)
    recent = logs.RecentLines() if view == "live" else None
    logs.configure(config.agent.log_level, config.agent.log_format, capture=recent)
    for w in warnings:  # and in the journal, where a service's start-up lines are read
        structlog.get_logger("edge_agent").warning("data_protection", problem=w.text, fix=w.fix)
    try:
        agent = Agent(config, Clock(speed))  # loads the model and the stored baseline: both can be wrong
        clean = asyncio.run(_main(agent, view, recent, duration_s))
    except AgentAlreadyRunning as exc:  # exits 75: not a mistake in the file
        raise AgentAlreadyRunning(f"another agent is already running with this runtime directory ({exc}); "
                                  "stop it first (systemctl stop edge-agent), or give this one its own [agent] "
                                  "runtime_dir", source=config.source, field=exc.field) from exc
    except ConfigError as exc:  # found only when starting (an unwritable state directory, say): name the file
        raise ConfigError(f"{config.source}: {exc}", source=config.source, field=exc.field) from exc
    if not clean:
        sys.stderr.flush()
        os._exit(1)  # a driver ignored cancellation; do not hang the service manager


async def _main(agent: Agent, view: str, recent: logs.RecentLines | None, duration_s: float | None) -> bool:
    viewer = None
    if view == "live" and recent is not None:
        from agent.commands.cli import liveboard  # rich: only for a person at a terminal, never under systemd

        viewer = asyncio.create_task(liveboard.live(agent, recent))
    elif view == "plain":
        viewer = asyncio.create_task(liveview.plain(agent.current_snapshot))
    try:
        return await run_agent(agent, duration_s=duration_s)
    finally:
        if viewer is not None:
            viewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await viewer
        if view == "plain":
            print("\n".join(liveview.render(agent.snapshot(), colour=False)), flush=True)
