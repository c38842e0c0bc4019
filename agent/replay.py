"""A recording through the core, one JSON line per tick: ``edge-agent replay``.

No supervisor, no event loop, no clock: the replay driver opens the
recording and hands over its chunks a block of windows at a time, merged by
sample time; each block is fed to the same :class:`~agent.core.engine.Core` the
live agent runs (with the same continuity checks, so a seq jump is the same
Gap event), then the core is told that everything up to the block's end is
in. The output depends only on the recording and the settings: byte-identical
across runs and however the recording is chunked.

The recording calibrates its own baseline from its start, exactly as a new
patient's first session would; the patient's stored profile is neither read
nor written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, get_args

from agent.base.driver import Registry
from agent.base.stream import Chunk
from agent.config import AgentConfig
from agent.core.baseline import PatientBaseline
from agent.core.engine import Core, Decision
from agent.core.features import FeatureExtractor
from agent.core.ticker import Tick, Ticker
from agent.runtime.continuity import GapTracker

DEVICE_ID = "recording"
# Replay's chunks: long ones cost less, and the core's output does not depend on their length.
REPLAY_CHUNK_S = 4.0


class Recorded(Protocol):
    """What the replay driver's ``recorded()`` returns (``drivers.replay.recorded``)."""

    path: Path
    device_id: str
    duration_s: float
    has_label: bool

    def blocks(self) -> Iterator[tuple[float, list[Chunk]]]: ...

    def label_at(self, t: float) -> float | None: ...


def format_names(registry: Registry | None = None) -> list[str]:
    """The recording formats the installed recording player knows ("auto" first)."""
    options = (registry or Registry()).recording_player().options
    return list(get_args(options.model_fields["format"].annotation))


def open_recorded(source: Path, fmt: str = "auto", *, registry: Registry | None = None,
                  chunk_s: float | None = None, start_s: float = 0.0, duration_s: float | None = None,
                  streams: tuple[str, ...] | None = None, device_id: str = DEVICE_ID) -> Recorded:
    """Open ``source`` for replay; RecordingUnreadable or ConfigError name the file and the problem."""
    plugin = (registry or Registry()).recording_player()
    options = plugin.options.model_validate(
        {"path": source, "format": fmt, "speed": "max", "start_s": start_s, "duration_s": duration_s,
         "streams": streams}
    )
    driver = plugin.load()
    return driver.recorded(options, device_id, chunk_s or REPLAY_CHUNK_S)  # type: ignore[attr-defined]


def build_core(config: AgentConfig, model: object | None = None) -> Core:
    """The core with ``config``'s features, model, baseline and policy, calibrating afresh, storing nothing."""
    from agent.core.model.runtime import DistressModel  # numpy and the model: only when a replay really runs
    from agent.core.policy import AdaptationPolicy

    top = config.top
    model = model or DistressModel.load(top.model.dir)
    baseline = PatientBaseline(top.baseline.model_copy(update={"use_stored": False}), store=None)
    policy = AdaptationPolicy(model, baseline, top.policy)  # type: ignore[arg-type]
    return Core(FeatureExtractor(top.features), policy, watermarks=False)  # each block of the recording is complete


def ticks(ticker: Ticker, recorded: Recorded) -> Iterator[list[Tick]]:
    """Every tick over the recording, in order, in batches (training keeps these)."""
    gaps = GapTracker(recorded.device_id)
    for until, chunks in recorded.blocks():
        for chunk in chunks:
            gap = gaps.check(chunk)
            if gap is not None:
                yield ticker.feed(gap)
            yield ticker.feed(chunk)
        # samples at exactly ``until`` belong to the next block; nothing is decided past the last sample the
        # features take, which is where training's tables end (a stream no feature uses may run on)
        yield ticker.advance(min(math.nextafter(until, -math.inf), ticker.newest_t))
    yield ticker.finish()


def decisions(core: Core, recorded: Recorded) -> Iterator[Decision]:
    """Every decision the core makes over the recording, in tick order."""
    for batch in ticks(core.ticker, recorded):
        yield from core.decide(batch)


def tick_line(d: Decision, label: float | None, has_label: bool) -> str:
    """One JSON line; a hold (no decision) says so with ``distress`` null and a ``hold`` reason."""
    a = d.adaptation
    hold = str(a.level) == "hold"
    line: dict[str, object] = {
        "t": round(d.features.t, 3),
        "distress": None if hold else a.distress,
        "level": str(a.level),
        "confidence": a.confidence,
        "intensity": a.suggestions.intensity,
        "reasons": [f"hold: {r}" for r in a.reasons] if hold else list(a.reasons),
    }
    if has_label:
        line["label"] = None if label is None else int(label) if label.is_integer() else label
    return json.dumps(line, separators=(",", ":")) + "\n"


@dataclass
class ReplayResult:
    lines: int = 0
    has_label: bool = False
    recorded_s: float = 0.0


def replay(config: AgentConfig, recorded: Recorded, out: IO[str], *,
           progress: Callable[[float], None] | None = None, core: Core | None = None) -> ReplayResult:
    """Write a line per tick of ``recorded`` to ``out``; ``progress`` gets the recording seconds done."""
    core = core or build_core(config)
    result = ReplayResult()
    result.has_label = recorded.has_label
    for d in decisions(core, recorded):
        t = d.features.t
        out.write(tick_line(d, recorded.label_at(t), recorded.has_label))
        result.lines += 1
        if progress is not None and result.lines % 240 == 0:
            progress(t)
    result.recorded_s = recorded.duration_s
    return result
