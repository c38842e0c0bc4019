"""``edge-agent``: the one entry point for technicians and systemd.

Subcommands live in their own modules; ``simulate`` collects the commands
that driver families contribute through the ``edge_agent.simulators``
entry-point group, loaded only when asked for.
"""

from __future__ import annotations

from importlib import metadata

import click

from agent import __version__
from agent.commands.cli.check import check
from agent.commands.cli.drivers_cmd import drivers
from agent.commands.cli.ingest import command as ingest
from agent.commands.cli.models import models
from agent.commands.cli.provision import provision
from agent.commands.cli.replay import replay
from agent.commands.cli.report import command as report
from agent.commands.cli.run import run
from agent.commands.cli.scan import scan
from agent.commands.cli.status import status
from agent.commands.cli.vr_tail import vr_tail

SIMULATORS_GROUP = "edge_agent.simulators"


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="edge-agent")
def main() -> None:
    """Edge agent for adaptive therapeutic VR."""


@main.group(cls=SimulatorGroup)
def simulate() -> None:
    """Publish simulated or recorded sensor streams (for testing an installation)."""


main.add_command(run)
main.add_command(drivers)
main.add_command(ingest)
main.add_command(report)
main.add_command(vr_tail)
main.add_command(replay)
main.add_command(provision)
main.add_command(scan)
main.add_command(check)
main.add_command(status)
main.add_command(models)
