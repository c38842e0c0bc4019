"""Progress bars (rich) for the commands a technician waits on: ``scan`` and ``check``.

Used only when stderr is a terminal; pipes and ``--json`` get plain lines.
Each bar fills with the time a step may take and completes when it ends.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class DriverScan(Protocol):
    """What a bar needs of one driver's scan result (``agent.commands.cli.scan.DriverScan``; passed in, not imported,
    because scan.py imports this module)."""

    driver: str
    error: object
    unavailable: object
    found: list


S = TypeVar("S", bound=DriverScan)

T = TypeVar("T")


def bars() -> Progress:
    return Progress(TextColumn("{task.description:<34}"), BarColumn(bar_width=24), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)


async def _ticking(progress: Progress, tasks: dict[str, TaskID], work: Awaitable[T]) -> T:
    """Advance every unfinished bar with the time passed, until ``work`` is done."""
    started = time.monotonic()
    job = asyncio.ensure_future(work)
    while not job.done():
        for task in tasks.values():
            if not progress.tasks[task].finished:
                progress.update(task, completed=min(time.monotonic() - started, progress.tasks[task].total or 0))
        await asyncio.wait([job], timeout=0.1)
    return job.result()


async def scan_with_bars(scan: Callable[[Callable[[S], None]], Awaitable[list[S]]],
                         names: Iterable[str], timeout_s: float, grace_s: float) -> list[S]:
    """A bar per driver while ``scan(on_done)`` runs every driver's scan."""
    names = list(names)
    with bars() as progress:
        tasks = {n: progress.add_task(f"scan {n}", total=timeout_s + grace_s) for n in names}

        def done(result: S) -> None:
            outcome = ("cannot scan" if result.error else "unavailable" if result.unavailable
                       else f"{len(result.found)} found")
            task = tasks[result.driver]
            progress.update(task, description=f"scan {result.driver}: {outcome}",
                            completed=progress.tasks[task].total)

        return await _ticking(progress, tasks, scan(done))


class StepBars:
    """One bar per self-test step, from the lines ``check`` reports through its progress callback:
    a step's own lines pulse its bar, its "NAME done (T s)" line completes it."""

    def __init__(self) -> None:
        self.progress = bars()
        self.current: TaskID | None = None

    def __enter__(self) -> Callable[[str], None]:
        self.progress.__enter__()
        return self.line

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def line(self, text: str) -> None:
        done = re.fullmatch(r"(\S+) done \((.+)\)", text)
        if done:
            description = f"{done[1].replace('_', ' ')} ({done[2]})"
            if self.current is None:
                self.current = self.progress.add_task(description, total=1)
            self.progress.update(self.current, description=description, total=1, completed=1)
            self.current = None
        elif self.current is None:
            self.current = self.progress.add_task(text.strip()[:34], total=None)  # pulses until done
        else:
            self.progress.update(self.current, description=text.strip()[:34])
