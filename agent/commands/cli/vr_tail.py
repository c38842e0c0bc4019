"""``edge-agent vr-tail``: watch what the agent tells the VR app, live.

It connects like an app would (without the events capability, so it can
never record anything) and prints each adaptation and status, when an
adaptation's time-to-live runs out (the app is now neutral), and when the
agent goes quiet.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from agent import config_file
from agent.base.clock import Clock
from agent.outputs.vrlink.client import HandshakeRefused, Signal, VrLinkClient
from agent.outputs.vrlink.frames import FrameError
from agent.outputs.vrlink.messages import AdaptationMessage, ErrorMessage, Message, StatusMessage

QUIET_HEARTBEATS = 3  # the app's rule: no frame for three heartbeat intervals means the agent is gone


@click.command("vr-tail")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Config of the agent to watch (default: as run finds it: ${config_file.ENV_VAR}, "
                   f"else {config_file.DEFAULT_PATH}, else the embedded default).")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path),
              help="The agent's VR link socket (default: the config's [vrlink] socket_path).")
@click.option("--tcp", metavar="HOST:PORT", help="Connect over loopback TCP instead (needs --token-file).")
@click.option(
    "--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="File holding the TCP token."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per message.")
@click.option("--status/--no-status", "show_status", default=True, show_default=True, help="Show status messages.")
@click.option("--count", type=click.IntRange(min=0), default=0, help="Exit after this many adaptations (0: never).")
def vr_tail(config_path: Path | None, socket_path: Path | None, tcp: str | None, token_file: Path | None,
            as_json: bool, show_status: bool, count: int) -> None:
    """Show the adaptation signals and status the agent sends to the VR app."""
    if socket_path is None and not tcp:
        socket_path = config_file.locate(config_path).vrlink.socket_path
    try:
        asyncio.run(tail(socket_path, tcp, token_file, as_json=as_json, show_status=show_status, count=count))
    except KeyboardInterrupt:
        pass
    except HandshakeRefused as exc:
        raise click.ClickException(f"the agent refused the connection: {exc}") from None
    except (OSError, FrameError, TimeoutError) as exc:
        where = tcp or socket_path
        if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)) and not tcp:
            raise click.ClickException(f"no agent is listening at {where}; start one (edge-agent run), "
                                       "or name its config with --config") from None
        raise click.ClickException(f"cannot watch the VR link at {where}: {exc or type(exc).__name__}") from None


async def tail(
    socket_path: Path,
    tcp: str | None = None,
    token_file: Path | None = None,
    *,
    as_json: bool = False,
    show_status: bool = True,
    count: int = 0,
    out: TextIO | None = None,
) -> None:
    out = out or sys.stdout
    clock = Clock()
    capabilities = ("adaptation", "status")
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not token_file:
            raise click.UsageError("--tcp needs --token-file")
        token = token_file.read_text(encoding="utf-8").strip()
        link = await VrLinkClient.connect_tcp(
            host or "127.0.0.1", int(port), token, client="vr-tail", capabilities=capabilities
        )
    else:
        link = await VrLinkClient.connect_unix(socket_path, client="vr-tail", capabilities=capabilities)
    assert link.welcome is not None
    printer = _Printer(out, as_json)
    printer.note(f"connected to {link.welcome.agent} (instance {link.welcome.instance}) as {link.welcome.client_id}")
    signal = Signal(clock)
    quiet_after = QUIET_HEARTBEATS * link.welcome.heartbeat_s
    seen = 0
    async with link:
        last_frame = clock.now()
        quiet = False
        while count == 0 or seen < count:
            deadlines = [] if quiet else [last_frame + quiet_after]
            if signal.current is not None:
                deadlines.append(signal.expires_at)
            try:
                msg = await _recv_until(link, clock, min(deadlines) if deadlines else None)
            except TimeoutError:
                if signal.current is not None and signal.active() is None:
                    printer.note(f"neutral: adaptation #{signal.current.seq} expired after {signal.current.ttl_s:.1f} s")
                    signal.current = None
                if not quiet and clock.now() - last_frame >= quiet_after:
                    quiet = True
                    printer.note(f"agent quiet for {quiet_after:g} s")
                continue
            if msg is None:
                printer.note("the agent closed the link")
                return
            last_frame = clock.now()
            quiet = False
            if isinstance(msg, AdaptationMessage):
                signal.update(msg)
                seen += 1
                printer.show(msg)
            elif isinstance(msg, StatusMessage):
                if show_status:
                    printer.show(msg)
            elif isinstance(msg, ErrorMessage):
                printer.show(msg)


async def _recv_until(link: VrLinkClient, clock: Clock, deadline: float | None) -> Message | None:
    if deadline is None:
        return await link.recv()
    async with clock.timeout(deadline - clock.now()):
        return await link.recv()


class _Printer:
    def __init__(self, out: TextIO, as_json: bool) -> None:
        self.out = out
        self.as_json = as_json

    def note(self, text: str) -> None:
        self._line({"type": "note", "text": text} if self.as_json else f"{_now()}  -- {text}")

    def show(self, msg: Message) -> None:
        self._line(msg.to_wire() if self.as_json else f"{_now()}  {_format(msg)}")

    def _line(self, item: object) -> None:
        text = json.dumps(item) if not isinstance(item, str) else item
        self.out.write(text + "\n")
        self.out.flush()


def _now() -> str:
    # Wall-clock time belongs at the edges: here, for the technician reading the screen.
    return time.strftime("%H:%M:%S")


def _format(msg: Message) -> str:
    if isinstance(msg, AdaptationMessage):
        s = msg.suggestions
        reasons = "; ".join(msg.reasons) or "-"
        return (
            f"#{msg.seq:<6} {msg.level.value:<10} distress {msg.distress:.2f} of 1, conf {msg.confidence:.2f}  "
            f"intensity {s.intensity:.2f} pace {s.pace.value} breathing {'on' if s.breathing_guide else 'off'}  "
            f"ttl {msg.ttl_s:.1f}s  | {reasons}"
        )
    if isinstance(msg, StatusMessage):
        sensors = " ".join(
            f"{x.id}:{x.state}" + (f"(q {x.quality:.2f})" if x.quality is not None else "") for x in msg.sensors
        )
        cal = msg.calibration
        return f"status quality {msg.quality}, calibration {cal.state} {cal.progress:.0%}  {sensors or 'no sensors'}"
    if isinstance(msg, ErrorMessage):
        return f"!! error {msg.code}: {msg.message}" + (" (fatal)" if msg.fatal else "")
    return msg.type


if __name__ == "__main__":  # pragma: no cover - `edge-agent vr-tail` is the entry point
    vr_tail()
