"""The plain view of ``edge-agent run``: per device, its state, measured
sample rate, last values and gaps, printed as a table now and then, for a
log file or a pipe (what the demo shows when its output is piped). On a
terminal :mod:`agent.commands.cli.liveboard` draws the live view instead."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from agent.runtime.snapshot import AgentSnapshot, DeviceSnapshot
from agent.runtime.status import DeviceState

_COLOURS = {
    DeviceState.STREAMING: "\x1b[32m",
    DeviceState.CONNECTING: "\x1b[33m",
    DeviceState.BACKOFF: "\x1b[31m",
    DeviceState.UNAVAILABLE: "\x1b[31m",
}


def render(snap: AgentSnapshot, *, colour: bool) -> list[str]:
    q = snap.readings
    lines = [
        f"edge-agent  up {snap.uptime_s:7.1f} s   config {snap.config_source}   "
        f"queue {q.depth}/{q.capacity} dropped {q.dropped}",
        f"{'device':<14} {'state':<11} {'stream':<6} {'rate Hz':>13} {'last value':<30} {'gaps':>4} {'disc':>5}",
    ]
    for device in snap.devices:
        lines.extend(_device_rows(device, colour))
    lines.append(_adaptation_row(snap))
    return lines


def _adaptation_row(snap: AgentSnapshot) -> str:
    d = snap.decision
    if d is None:
        return "adaptation   (waiting for the first tick)"
    a = d.adaptation
    s = a.suggestions
    clients = "-" if snap.vr_clients is None else snap.vr_clients
    return (
        f"adaptation   #{a.seq} {a.level.value:<10} distress {a.distress:.2f} of 1  confidence {a.confidence:.2f}  "
        f"intensity {s.intensity:.1f} pace {s.pace.value} breathing {'on' if s.breathing_guide else 'off'}  "
        f"→ {clients} VR client(s)\n             why: {'; '.join(a.reasons)}"
    )


def _device_rows(s: DeviceSnapshot, colour: bool) -> Iterable[str]:
    state = s.state.value
    if colour and s.state in _COLOURS:
        state = f"{_COLOURS[s.state]}{state:<11}\x1b[0m"
    else:
        state = f"{state:<11}"
    if not s.streams:
        yield f"{s.device_id:<14} {state} {'':<6} {'':>13} {s.detail[:60]:<30} {s.gaps:>4} {s.disconnects:>5}"
        return
    for i, st in enumerate(s.streams):
        rate = "-" if st.rate_hz is None else f"{st.rate_hz:.1f}"
        if st.nominal_hz:
            rate += f"/{st.nominal_hz:g}"
        shown = ", ".join(f"{v:.3g}" for v in st.last_values[:4])
        if len(st.last_values) > 4:
            shown += ", …"
        value = f"{shown} {st.unit}" if st.quality_ok else f"({st.quality_reason})"
        head = f"{s.device_id:<14} {state}" if i == 0 else f"{'':<14} {'':<11}"
        tail = f"{s.gaps:>4} {s.disconnects:>5}" if i == 0 else ""
        yield f"{head} {st.name:<6} {rate:>13} {value[:30]:<30} {tail}"


async def plain(snapshot: Callable[[], AgentSnapshot], out: TextIO = sys.stdout, every_s: float = 2.0) -> None:
    """Print the table every few seconds, for a log file or a pipe (``snapshot``: the current period's)."""
    while True:
        await asyncio.sleep(every_s)
        out.write("\n".join(render(snapshot(), colour=False)) + "\n\n")
        out.flush()
