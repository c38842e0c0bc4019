"""``edge-agent``: the one entry point for technicians and systemd.

Each subcommand lives in its own module, imported only when it is the one
asked for (a :class:`LazyGroup`, as in click's documentation): ``--version``,
``status`` or ``drivers`` never pay for numpy and onnxruntime, which only the
commands that run the model import. ``simulate`` collects the commands that
driver families contribute through the ``edge_agent.simulators`` entry-point
group, loaded the same way.
"""

from __future__ import annotations

import importlib
from importlib import metadata

import click

from agent import __version__
from agent.commands.cli.exits import ExitMapping

SIMULATORS_GROUP = "edge_agent.simulators"

# name -> "module:attribute"; the module is imported when the command runs (or for --help).
COMMANDS = {
    "run": "agent.commands.cli.run:run",
    "drivers": "agent.commands.cli.drivers_cmd:drivers",
    "ingest": "agent.commands.cli.ingest:command",
    "report": "agent.commands.cli.report:command",
    "vr-tail": "agent.commands.cli.vr_tail:vr_tail",
    "replay": "agent.commands.cli.replay:replay",
    "provision": "agent.commands.cli.provision:provision",
    "scan": "agent.commands.cli.scan:scan",
    "check": "agent.commands.cli.check:check",
    "status": "agent.commands.cli.status:status",
    "models": "agent.commands.cli.models:models",
}


class LazyGroup(ExitMapping, click.Group):
    """Subcommands named by import path, imported on first use; errors become exit codes in one place."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, _, attr = self.lazy[name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[name]} is not a click command")
            self.add_command(command, name)
        return super().get_command(ctx, name)


class SimulatorGroup(click.Group):
    """``edge-agent simulate NAME``: commands found through entry points, imported lazily."""

    def _eps(self) -> dict[str, metadata.EntryPoint]:
        return {ep.name: ep for ep in metadata.entry_points(group=SIMULATORS_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._eps())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ep = self._eps().get(name)
        if ep is None:
            return None
        try:
            return ep.load()
        except ImportError as exc:
            raise click.ClickException(f"simulator {name!r} is unavailable: {exc}") from exc


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="edge-agent")
def main() -> None:
    """Edge agent for adaptive therapeutic VR."""


@main.group(cls=SimulatorGroup)
def simulate() -> None:
    """Publish simulated or recorded sensor streams (for testing an installation)."""
