"""A recording through the whole agent, one JSON line per tick: ``edge-agent replay``.

The recording is played by the ``replay`` driver (format detected from the
path) into the same supervisor, feature extractor, model and policy as a
live session. :class:`TickWriter` watches the recording's ``label`` stream
(where it has one) and writes each decision with the label in force at its
tick. A decision waits until the label stream has passed its time, because
chunks arrive ordered by their last sample and the label for a tick may
come just after the tick.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import deque
from pathlib import Path
from typing import IO

import numpy as np

from agent.analysis import Decision
from agent.app import Agent, run
from agent.clock import Clock
from agent.config import AgentConfig
from agent.driver import Registry
from agent.stream import Chunk
from agent.supervisor import DeviceSpec, Reading

LABEL_STREAM = "label"
LABEL_WAIT_S = 5.0  # a recording whose label stream has not shown up by then has none


class TickWriter:
    """A pipeline stage (for labels) and a decision sink (for ticks) that writes JSON lines."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.origin: float | None = None  # agent time of the recording's start
        self.has_label = False
        self._labels: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (t, value) per label chunk, oldest first
        self._label_now: float | None = None  # the label in force before the oldest kept chunk
        self._label_until = -np.inf
        self._pending: deque[Decision] = deque()
        self.lines = 0

    def feed(self, reading: Reading) -> None:
        if not isinstance(reading, Chunk) or not len(reading):
            return
        if self.origin is None or reading.t[0] < self.origin:
            self.origin = float(reading.t[0])
        if reading.spec.name == LABEL_STREAM:
            self.has_label = True
            self._labels.append((reading.t, reading.x[:, 0]))
            self._label_until = float(reading.t[-1])
            while self._pending and self._pending[0].features.t <= self._label_until:
                self._write(self._pending.popleft())

    def decision(self, d: Decision) -> None:
        waiting = not self.has_label and d.features.t - (self.origin or 0.0) < LABEL_WAIT_S
        if waiting or (self.has_label and d.features.t > self._label_until):
            self._pending.append(d)
        else:
            self._write(d)

    def close(self) -> None:
        while self._pending:
            self._write(self._pending.popleft())

    def _label(self, t: float) -> float | None:
        """The label in force at ``t``; ticks come in time order, so older label chunks are dropped."""
        while len(self._labels) > 1 and self._labels[1][0][0] <= t:
            times, values = self._labels.popleft()
            self._label_now = float(values[-1])
        if not self._labels:
            return self._label_now
        times, values = self._labels[0]
        i = int(np.searchsorted(times, t, side="right")) - 1
        return float(values[i]) if i >= 0 else self._label_now

    def _write(self, d: Decision) -> None:
        a = d.adaptation
        t = d.features.t
        line: dict[str, object] = {
            "t": round(t - (self.origin or 0.0), 3), "distress": a.distress, "level": str(a.level),
            "confidence": a.confidence, "intensity": a.suggestions.intensity, "reasons": list(a.reasons),
        }
        if self.has_label:
            label = self._label(t)
            line["label"] = None if label is None else int(label) if label.is_integer() else label
        self.out.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.lines += 1


def replay_config(base: AgentConfig, source: Path, speed: float | str, registry: Registry, state_dir: Path) -> AgentConfig:
    """``base``'s features, model, baseline and policy settings around one replayed recording."""
    plugin = registry.plugin("replay")
    options = plugin.options.model_validate({"path": source, "speed": speed})
    top = base.top.model_copy(update={
        "agent": base.top.agent.model_copy(update={"state_dir": state_dir, "runtime_dir": state_dir / "run"}),
        "vrlink": base.top.vrlink.model_copy(update={"enabled": False}),
        "sync": None,
        # a recording is a new person: calibrate on it, never read or change a patient's stored profile
        "baseline": base.top.baseline.model_copy(update={"use_stored": False, "profile": state_dir / "baseline.json"}),
    })
    return AgentConfig(base.source, top, [DeviceSpec("recording", plugin, options)])


def replay(base: AgentConfig, source: Path, out: IO[str], *, speed: float | str = "max",
           registry: Registry | None = None) -> TickWriter:
    """Play ``source`` through the agent, writing a line per tick to ``out``."""
    registry = registry or Registry()
    with tempfile.TemporaryDirectory(prefix="edge-agent-replay-") as tmp:
        config = replay_config(base, source, speed, registry, Path(tmp))
        agent = Agent(config, Clock())
        writer = TickWriter(out)
        agent.pipeline.stages.insert(0, writer)
        agent.analysis.on_decision.append(writer.decision)
        asyncio.run(run(agent))
        writer.close()
    return writer
