"""``python -m drivers.replay PATH``: play a recording through the driver alone and report.

Prints each stream and the replay speed factor (recorded seconds per wall
second), e.g. ``python -m drivers.replay wesad-wrist/S5_wrist.npz --speed max``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import click
import structlog

from agent.plugin import Clock, DriverContext
from drivers.replay.driver import ReplayDriver
from drivers.replay.plugin import ReplayOptions


async def _run(options: ReplayOptions) -> None:
    context = DriverContext("replay", Clock(), structlog.get_logger("edge_agent.device").bind(device_id="replay"))
    samples: Counter[str] = Counter()
    chunks = 0
    async with ReplayDriver(options, context) as driver:
        specs = {t.name: t.spec for t in driver.tracks}
        began = time.perf_counter()
        first_t = last_t = None
        async for chunk in driver.chunks():
            chunks += 1
            samples[chunk.spec.name] += len(chunk)
            first_t = chunk.t[0] if first_t is None else min(first_t, chunk.t[0])
            last_t = chunk.t[-1] if last_t is None else max(last_t, chunk.t[-1])
        wall = time.perf_counter() - began
    for name, spec in specs.items():
        rate = f"{spec.rate_hz:g} Hz" if spec.rate_hz else "irregular"
        click.echo(
            f"{name:8} {spec.modality.value:6} {rate:>10} {spec.unit:5} {samples[name]:>9} samples  {','.join(spec.channels)}"
        )
    recorded = 0.0 if first_t is None or last_t is None else float(last_t - first_t)
    if options.speed != "max":
        recorded *= float(options.speed)  # t runs 1/speed of the recording's time
    click.echo(f"{chunks} chunks, {sum(samples.values())} samples, {recorded:.1f} s recorded in {wall:.2f} s wall")
    click.echo(f"speed factor {recorded / wall:.0f}x real time" if wall > 0 else "speed factor: not measurable")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--speed", default="max", show_default=True, help='a multiple of real time, or "max"')
@click.option("--format", "format_name", default="auto", show_default=True)
@click.option("--start-s", type=float, default=0.0)
@click.option("--duration-s", type=float, default=None)
@click.option("--stream", "streams", multiple=True, help="keep only this stream (repeatable)")
def main(
    path: Path, speed: str, format_name: str, start_s: float, duration_s: float | None, streams: tuple[str, ...]
) -> None:
    options = ReplayOptions.model_validate(
        {
            "path": path,
            "speed": speed,
            "format": format_name,
            "start_s": start_s,
            "duration_s": duration_s,
            "streams": streams or None,
        }
    )
    asyncio.run(_run(options))


if __name__ == "__main__":
    main()
