"""The flapping soak: the agent on simulated sensors that drop every few seconds, watched from outside.

``python -m tools.soak --minutes 30`` (or ``scripts/soak``) runs ``edge-agent run
--speed 10`` with two devices that disconnect and two that stall (go silent
past the stall threshold) every ``--every`` agent seconds, connects a VR
client, and samples the process's RSS, open fds and threads and the
status file's ticks and per-stream samples. It prints a table and a verdict:

- RSS growth after warm-up under ``--max-rss-growth-mb`` (5);
- no gap between adaptations (one per analysis tick) over ``--max-gap-s`` (2 s of agent time);
- each device streaming at least ``--min-streaming`` (70 %) of the time it offered data
  (the time outside its own outages: a stalled device sends nothing while stalled);
- no error line in the agent's log, and the agent still running at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.base.clock import Clock
from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.messages import AdaptationMessage

STALLING = ("gsr-band", "eeg-headset")  # the rest disconnect
NOTIFY_HZ = {"hr": 1.0}  # the strap notifies its heart rate once a second; its streams have no nominal rate
DRIVERS = {"chest-strap": "sim-chest-strap", "polar-ecg": "sim-ecg", "gsr-band": "sim-gsr", "eeg-headset": "sim-eeg"}


@dataclass
class Plan:
    agent_s: float
    speed: float
    every_s: float
    disconnect_s: float
    stall_s: float
    stalling: tuple[str, ...] = STALLING

    def outage_s(self, device: str) -> float:
        """Agent seconds in which the device itself offers no data over the run."""
        each = self.stall_s if device in self.stalling else self.disconnect_s
        return int(self.agent_s // self.every_s) * each


def config(plan: Plan, root: Path) -> str:
    lines = [
        "[agent]",
        f'state_dir = "{root / "state"}"',
        f'runtime_dir = "{root / "run"}"',
        'log_format = "json"',
        "",
        "[baseline]",
        "calibration_s = 60",
    ]
    for i, (device, driver) in enumerate(DRIVERS.items()):
        # Each device drops on its own phase, as independent sensors do; a stall is silence while
        # connected, longer than the supervisor's 3 s stall floor.
        kind, length = ("dropout", plan.stall_s) if device in plan.stalling else ("disconnect", plan.disconnect_s)
        phase = plan.every_s * i / len(DRIVERS)
        starts = [phase + plan.every_s * k for k in range(1, int(plan.agent_s // plan.every_s) + 1)]
        faults = ", ".join(f'{{kind = "{kind}", at_s = {s:g}, duration_s = {length}}}' for s in starts)
        lines += ["", f"[devices.{device}]", f'driver = "{driver}"', "seed = 7", f"faults = [{faults}]"]
    return "\n".join(lines) + "\n"


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)
    ticks: list[int] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)


def _proc(pid: int) -> tuple[int, int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    rss = int(fields["VmRSS"].split()[0])
    return rss, len(os.listdir(f"/proc/{pid}/fd")), int(fields["Threads"])


@dataclass
class VrWatch:
    adaptations: int = 0
    largest_gap_s: float = 0.0  # agent seconds between consecutive adaptations
    last_t: float | None = None
    connected: bool = False
    error: str = ""
    gaps: list[tuple[float, float, float]] = field(default_factory=list)  # the largest: (gap, agent t, wall t)

    async def run(self, socket: Path, speed: float, stop: asyncio.Event) -> None:
        while not socket.exists() and not stop.is_set():
            await asyncio.sleep(0.1)
        try:
            async with await VrLinkClient.connect_unix(socket, client="soak", clock=Clock(speed=speed)) as link:
                self.connected = True
                async for msg in link.messages():
                    if isinstance(msg, AdaptationMessage):
                        if self.last_t is not None:
                            self.largest_gap_s = max(self.largest_gap_s, msg.t - self.last_t)
                            self.gaps.append((msg.t - self.last_t, self.last_t, time.monotonic()))
                            self.gaps = sorted(self.gaps, reverse=True)[:5]
                        self.last_t = msg.t
                        self.adaptations += 1
                    if stop.is_set():
                        return
        except (OSError, ConnectionError, TimeoutError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"


async def soak(args: argparse.Namespace) -> int:
    stalling = tuple(d for d in args.stalling.split(",") if d)
    plan = Plan(args.minutes * 60 * args.speed, args.speed, args.every, args.disconnect_for, args.stall_for, stalling)
    root = Path(tempfile.mkdtemp(prefix="edge-agent-soak-"))
    (root / "agent.toml").write_text(config(plan, root))
    log = (root / "agent.log").open("wb")
    edge_agent = Path(sys.executable).with_name("edge-agent")
    cmd = [str(edge_agent), "run", "--config", str(root / "agent.toml"), "--view", "none", "--speed", str(args.speed),
           "--for", str(plan.agent_s + 60 * args.speed)]  # it outlives the watch; we stop it
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    print(f"soak: {args.minutes} min at --speed {args.speed} ({plan.agent_s / 3600:.1f} h of agent time); files in {root}")
    samples = Samples()
    vr = VrWatch()
    stop = asyncio.Event()
    watcher = asyncio.create_task(vr.run(root / "run" / "vr.sock", args.speed, stop))
    started = time.monotonic()
    status_file = root / "run" / "status.json"
    try:
        while time.monotonic() - started < args.minutes * 60 and proc.poll() is None:
            await asyncio.sleep(args.sample_s)
            with contextlib.suppress(OSError, ValueError, KeyError):
                rss, fds, threads = _proc(proc.pid)
                status = json.loads(status_file.read_text())
                samples.wall.append(time.monotonic() - started)
                samples.rss_kb.append(rss)
                samples.fds.append(fds)
                samples.threads.append(threads)
                samples.ticks.append(int(status["ticks"]))
                samples.status = status
    finally:
        stop.set()
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        log.close()
    return report(args, plan, samples, vr, alive, root / "agent.log")


def _errors(log: Path) -> list[str]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            if json.loads(line).get("level") in ("error", "critical"):
                out.append(line[:300])
    return out


def streaming(plan: Plan, status: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Per device: (fraction of the whole run, fraction of the time it offered data) it streamed."""
    uptime = float(status["uptime_s"])
    out = {}
    for row in status["devices"]:
        device = row["device_id"]
        fractions = [
            s["samples"] / (rate * uptime)
            for name, s in row["streams"].items()
            if (rate := s.get("nominal_hz") or NOTIFY_HZ.get(name))
        ]
        raw = min(fractions) if fractions else 0.0
        offered = uptime - plan.outage_s(device) * uptime / plan.agent_s
        out[device] = (raw, min(1.0, raw * uptime / offered))
    return out


def report(args: argparse.Namespace, plan: Plan, s: Samples, vr: VrWatch, alive: bool, log: Path) -> int:
    if len(s.rss_kb) < 4 or not s.status:
        print(f"soak: FAIL, too few samples ({len(s.rss_kb)}); see {log}")
        return 1
    warm = max(1, len(s.rss_kb) // 5)  # the first fifth is warm-up (caches, model, calibration)
    growth_mb = (max(s.rss_kb[-3:]) - min(s.rss_kb[warm : warm + 3])) / 1024
    fractions = streaming(plan, s.status)
    errors = _errors(log)
    print(f"RSS MB      start {s.rss_kb[warm] / 1024:.1f}  end {s.rss_kb[-1] / 1024:.1f}  max {max(s.rss_kb) / 1024:.1f}"
          f"  growth after warm-up {growth_mb:+.1f}")
    print(f"fds         min {min(s.fds)}  max {max(s.fds)}  end {s.fds[-1]}")
    print(f"threads     min {min(s.threads)}  max {max(s.threads)}  end {s.threads[-1]}")
    print(f"ticks       {s.ticks[-1]} in {s.status['uptime_s']:.0f} s of agent time"
          f" ({s.ticks[-1] / max(1.0, s.status['uptime_s']):.2f}/s)")
    print(f"VR client   {vr.adaptations} adaptations, largest gap {vr.largest_gap_s:.2f} s of agent time"
          + (f" ({vr.error})" if vr.error else ""))
    print("            largest gaps (s) after agent t (s): "
          + ", ".join(f"{g:.2f} after {t:.1f}" for g, t, _ in vr.gaps))
    rows = {row["device_id"]: row for row in s.status["devices"]}
    for device, (raw, offered) in fractions.items():
        row = rows[device]
        kind = "stalls" if device in plan.stalling else "disconnects"
        print(f"{device:<12} {kind:<12} connects {row.get('connects', '?'):>5}  streaming {raw:6.1%} of the run,"
              f" {offered:6.1%} of the time it offered data")
    print(f"error lines {len(errors)}" + "".join(f"\n    {e}" for e in errors[:5]))
    failures = []
    if growth_mb >= args.max_rss_growth_mb:
        failures.append(f"RSS grew {growth_mb:.1f} MB")
    if not vr.connected or vr.largest_gap_s > args.max_gap_s:
        failures.append(f"largest adaptation gap {vr.largest_gap_s:.2f} s (connected: {vr.connected})")
    failures += [f"{d} streamed {o:.0%}" for d, (_, o) in fractions.items() if o < args.min_streaming]
    if errors:
        failures.append(f"{len(errors)} error lines")
    if not alive:
        failures.append("the agent exited before the end")
    print("verdict:", "PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/soak", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="wall-clock minutes to run (default 30)")
    ap.add_argument("--speed", type=float, default=10.0, help="agent time per wall second (default 10)")
    ap.add_argument("--every", type=float, default=10.0, help="agent seconds between each device's drops")
    ap.add_argument("--disconnect-for", type=float, default=1.0, help="agent seconds a disconnect lasts")
    ap.add_argument("--stall-for", type=float, default=3.5, help="agent seconds a stall lasts (over the 3 s floor)")
    ap.add_argument("--stalling", default=",".join(STALLING), help="devices that stall; the others disconnect")
    ap.add_argument("--sample-s", type=float, default=5.0, help="wall seconds between samples")
    ap.add_argument("--max-rss-growth-mb", type=float, default=5.0)
    ap.add_argument("--max-gap-s", type=float, default=2.0)
    ap.add_argument("--min-streaming", type=float, default=0.70)
    return asyncio.run(soak(ap.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
