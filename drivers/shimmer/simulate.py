"""``edge-agent simulate shimmer``: an emulated Shimmer3 GSR+ on a pseudo-terminal."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

from drivers.shimmer.emulator import serve


@click.command("shimmer")
@click.option(
    "--link",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("/tmp/shimmer0"),
    show_default=True,
    help="symlink to the emulated port; point the shimmer-gsr driver's port at it",
)
def command(link: Path) -> None:
    """Emulate a Shimmer3 GSR+ (GSR from a real EDA recording, PPG on A13) until Ctrl-C."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(link))
