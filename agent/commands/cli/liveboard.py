"""The live view of ``edge-agent run`` on a terminal, drawn with rich.

Loaded only when ``run`` has a terminal (never under systemd). The frame is
laid out to the terminal's size every redraw, so it fits 80×24 as well as a
wide screen: a header (wall time and scenario time apart, where to find the
agent), one row per stream with a sparkline of its last minute, the
adaptation with a sparkline of distress on its 0–1 scale, and recent events
(connects, gaps, level changes). When the agent stops, the last frame says
so and stays on the screen.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.layout import Layout
from rich.live import Live
from rich.table import Table
from rich.text import Text

from agent.runtime import statusfile
from agent.runtime.status import DeviceState

if TYPE_CHECKING:
    from agent.app import Agent
    from agent.runtime.logs import RecentLines
    from agent.runtime.snapshot import AgentSnapshot

BLOCKS = "▁▂▃▄▅▆▇█"
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)\S*")  # log lines: the time of day is enough here
MINUTE_S = 60.0
_STATE_STYLE = {DeviceState.STREAMING: "green", DeviceState.CONNECTING: "yellow",
                DeviceState.BACKOFF: "red", DeviceState.UNAVAILABLE: "red"}
_LEVEL_STYLE = {"calm": "bold green", "elevated": "bold yellow", "distressed": "bold red", "hold": "bold cyan"}


def sparkline(points: deque[tuple[float, float]], now: float, width: int,
              lo: float | None = None, hi: float | None = None) -> str:
    """The last minute of ``points`` (time, value) in ``width`` cells; blank where there was no data."""
    if width <= 0:
        return ""
    cells: list[list[float]] = [[] for _ in range(width)]
    for t, v in points:
        i = int((t - (now - MINUTE_S)) / MINUTE_S * width)
        if 0 <= i < width:
            cells[i].append(v)
    means = [sum(c) / len(c) if c else None for c in cells]
    known = [m for m in means if m is not None]
    first = next((i for i, m in enumerate(means) if m is not None), width)
    for i in range(first + 1, width):  # a cell between two samples holds the earlier one (slow redraws)
        if means[i] is None and any(m is not None for m in means[i + 1:]):
            means[i] = means[i - 1]
    if not known:
        return " " * width
    lo = min(known) if lo is None else lo
    hi = max(known) if hi is None else hi
    span = hi - lo
    out = []
    for m in means:
        if m is None:
            out.append(" ")
        else:
            level = 0 if span <= 0 else int((min(max(m, lo), hi) - lo) / span * (len(BLOCKS) - 1) + 0.5)
            out.append(BLOCKS[level])
    return "".join(out)


def compact(line: str) -> str:
    """A console log line shortened for the panel: time of day, the device first, no logger name."""
    line = _ISO.sub(r"\1", line)
    line = re.sub(r"\s*\[edge_agent[.\w-]*\]", "", line)
    line = re.sub(r"\[info\s*\] ", "", line)
    line = re.sub(r"\[(\w+)\s*\]", r"\1:", line)
    device = re.search(r" device_id=(\S+)", line)
    if device:
        line = line.replace(device.group(0), "")
        head, _, rest = line.partition(" ")
        line = f"{head} {device.group(1)}: {rest}"
    return re.sub(r"\s{2,}", " ", line)


def keep_end(text: str, width: int) -> str:
    """A path's end names it; a line too long for the terminal loses its middle instead."""
    if len(text) <= width:
        return text
    head = text.index(" /") + 1 if " /" in text else 0
    return text[:head] + "…" + text[len(text) - (width - head - 1):]


def clock_text(seconds: float) -> str:
    s = int(max(0.0, seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Board:
    """Keeps a minute of history and draws frames; sampled once per redraw."""

    def __init__(self, snapshot: Callable[[], AgentSnapshot], recent: RecentLines, *, socket_path: Path,
                 speed: float) -> None:
        self.snapshot = snapshot
        self.snap = snapshot()
        self.socket_path = socket_path
        self.speed = speed
        self.recent = recent
        self.wall_start = time.monotonic()
        self.history: dict[tuple[str, str], deque[tuple[float, float]]] = {}
        self.distress: deque[tuple[float, float]] = deque()
        self.events: deque[str] = deque(maxlen=64)  # level changes, interleaved with log lines by arrival
        self._level: str | None = None
        self._seen_log = 0

    def sample(self) -> None:
        snap = self.snap = self.snapshot()
        now = snap.t
        for status in snap.devices:
            for st in status.streams:
                if st.last_values and st.quality_ok:
                    h = self.history.setdefault((status.device_id, st.name), deque())
                    h.append((now, float(st.last_values[0])))
        d = snap.decision
        if d is not None:
            a = d.adaptation
            self.distress.append((now, a.distress))
            if a.level.value != self._level:
                if self._level is not None:
                    why = "; ".join(a.reasons) or "-"
                    self.events.append(f"{time.strftime('%H:%M:%S')} level {self._level} → {a.level.value} "
                                       f"(distress {a.distress:.2f}): {why}")
                self._level = a.level.value
        for h in (*self.history.values(), self.distress):
            while h and h[0][0] < now - MINUTE_S:
                h.popleft()
        lines = list(self.recent.lines)
        total = getattr(self.recent, "total", len(lines))
        for line in lines[max(0, len(lines) - (total - self._seen_log)):]:
            self.events.append(compact(line))
        self._seen_log = total

    def frame(self, width: int, height: int, *, stopped: bool = False) -> Layout:
        rows = sum(max(1, len(s.streams)) for s in self.snap.devices)
        layout = Layout()
        parts = [Layout(self._header(stopped, width), name="header", size=3),
                 Layout(self._devices(width), name="devices", size=rows + 1),
                 Layout(self._adaptation(width, roomy=height >= 30), name="adaptation",
                        size=4 if height >= 30 else 3)]
        recent_h = height - sum(p.size or 0 for p in parts)
        if recent_h >= 2:
            parts.append(Layout(self._recent(recent_h, stopped), name="recent", size=recent_h))
        layout.split_column(*parts)
        return layout

    def _header(self, stopped: bool, width: int) -> Group:
        snap = self.snap
        wall = time.monotonic() - self.wall_start
        state = Text("STOPPED", style="bold red") if stopped else Text("running", style="bold green")
        q = snap.readings
        line1 = Text.assemble(("edge-agent ", "bold"), state,
                              f"  wall {clock_text(wall)}  scenario {clock_text(snap.uptime_s)}"
                              f" ×{self.speed:g}  queue {q.depth}/{q.capacity}, {q.dropped} dropped")
        line2 = Text(keep_end(f"VR socket {self.socket_path}", width), style="dim")
        line3 = Text(keep_end(f"status {statusfile.path_for(snap.runtime_dir)}  config {snap.config_source}",
                              width), style="dim")
        for t in (line1, line2, line3):
            t.no_wrap, t.overflow = True, "ellipsis"
        return Group(line1, line2, line3)

    def _devices(self, width: int) -> Table:
        value_w = 13 if width < 100 else 24
        spark_w = max(6, width - (12 + 11 + 5 + 10 + value_w + 7) - 7)
        table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, expand=False, header_style="bold")
        for name, w, justify in (("device", 12, "left"), ("state", 11, "left"), ("strm", 5, "left"),
                                 ("rate Hz", 10, "right"), ("last value", value_w, "left"),
                                 ("last minute", spark_w, "left"), ("gap/dis", 7, "right")):
            table.add_column(name, width=w, no_wrap=True, overflow="ellipsis", justify=justify)  # type: ignore[arg-type]
        now = self.snap.t
        for s in self.snap.devices:
            state = Text(s.state.value, style=_STATE_STYLE.get(s.state, ""))
            counts = f"{s.gaps}/{s.disconnects}"
            if not s.streams:
                table.add_row(s.device_id, state, "", "", Text(s.detail, style="dim"), "", counts)
                continue
            for i, st in enumerate(s.streams):
                name = st.name
                rate = "-" if st.rate_hz is None else f"{st.rate_hz:.0f}"
                if st.nominal_hz:
                    rate += f"/{st.nominal_hz:g}"
                if st.quality_ok:
                    shown = ", ".join(f"{v:.3g}" for v in st.last_values[:4])
                    value = Text(f"{shown} {st.unit}")
                else:
                    value = Text(st.quality_reason or "poor signal", style="red")
                spark = sparkline(self.history.get((s.device_id, name), deque()), now, spark_w)
                table.add_row(s.device_id if i == 0 else "", state if i == 0 else "", name, rate, value,
                              Text(spark, style="cyan"), counts if i == 0 else "")
        return table

    def _adaptation(self, width: int, roomy: bool) -> Group:
        d = self.snap.decision
        if d is None:
            return Group(Text("adaptation  (waiting for the first decision)", no_wrap=True))
        a = d.adaptation
        s = a.suggestions
        clients = "-" if self.snap.vr_clients is None else self.snap.vr_clients
        spark_w = max(8, min(30, width - 62))
        line1 = Text.assemble(("level ", "bold"), (f"{a.level.value:<10}", _LEVEL_STYLE.get(a.level.value, "")),
                              f" distress {a.distress:.2f} of 1 ",
                              (sparkline(self.distress, self.snap.t, spark_w, 0.0, 1.0), "magenta"),
                              f"  confidence {a.confidence:.0%}")
        line2 = Text(f"scene intensity {s.intensity:.1f}  pace {s.pace.value}  breathing guide "
                     f"{'on' if s.breathing_guide else 'off'}  → {clients} VR app(s)  #{a.seq}")
        why = Text(f"why: {'; '.join(a.reasons) or '-'}")
        for t in (line1, line2):
            t.no_wrap, t.overflow = True, "ellipsis"
        why.no_wrap, why.overflow = not roomy, "ellipsis"  # two lines when there is room, else one, cut with …
        return Group(line1, line2, why)

    def _recent(self, height: int, stopped: bool) -> Group:
        title = Text("recent (stopped: this is the last frame)" if stopped else "recent", style="bold")
        lines = list(self.events)[-(height - 1):]
        texts = [Text(line, no_wrap=True, overflow="ellipsis", style="dim") for line in lines]
        return Group(title, *texts)


async def live(agent: Agent, recent: RecentLines, every_s: float = 0.5) -> None:
    """Redraw until cancelled, then leave a final 'stopped' frame on the normal screen."""
    board = Board(agent.snapshot, recent, socket_path=agent.config.vrlink.socket_path, speed=agent.clock.speed)
    console = Console()
    with Live(console=console, screen=True, auto_refresh=False, redirect_stderr=False) as view:
        try:
            while True:
                board.sample()
                view.update(board.frame(console.width, console.height), refresh=True)
                await asyncio.sleep(every_s)
        except asyncio.CancelledError:
            board.sample()
            # two rows fewer: the frame stays whole above the shell's next prompt
            final = board.frame(console.width, console.height - 2, stopped=True)
    console.print(final, height=console.height - 2)
    raise asyncio.CancelledError
