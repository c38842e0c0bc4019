"""scripts/bench: the agent's figures on this machine, against the design budgets.

  start     `edge-agent run --simulate` from exec to READY=1 (median of 5), the agent's peak RSS over its
            first seconds, and `edge-agent --version` wall time and peak RSS (scripts/bench_start.py)
  agent     the agent on simulated sensors at real rates (chest strap RR, Polar ECG 130 Hz,
            GSR 128 Hz, 8-channel EEG 256 Hz): CPU as % of one core and peak RSS; then the same
            simulators alone (tools/bench/simulators.py), whose synthesis real sensors do not cost
  latency   the same sensors in-process with a VR client: the whole tick latency (last chunk in ->
            Adaptation frame written to the VR socket), also for the first frame of each arrival alone
            (a later one waits for the ticks before it), and the model's inference latency
  model     the packaged model through the built-in evaluator and through onnxruntime (the reference):
            inference latency percentiles, their ratio, and each engine's peak RSS; then each engine's
            calls after 50 ms asleep, as the live agent's come: what code that has not run lately costs
            on this machine (scripts/bench_model.py)
  replay    a whole WESAD subject replayed as fast as possible through the full pipeline:
            recorded seconds per wall second
  signals, vrlink, sync, serial, ble, backend
            each part's own benchmark (see its module), run in a subprocess

Usage: scripts/bench [--only NAME ...] [--seconds N] [--latency-seconds N] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_model  # scripts/: beside this file
import bench_start
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = {"cpu_pct": 1.5, "rss_mb": 80.0, "latency_p99_ms": 1.0, "replay_factor": 1000.0}  # design brief, 2026-12-03

AGENT_TOML = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[baseline]
calibration_s = 10  # the steady state includes the model's inference
[devices.chest-strap]
driver = "sim-chest-strap"
[devices.polar-ecg]
driver = "sim-ecg"
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 128
[devices.eeg-headset]
driver = "sim-eeg"
channels = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2"]
"""

def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_agent(seconds: float) -> dict[str, object]:
    """CPU and memory of the real agent process, measured from outside after a warm-up."""
    warmup = 10.0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp, "agent.toml")
        cfg.write_text(AGENT_TOML.format(tmp=tmp))
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(cfg), "--for", str(seconds + warmup), "--view", "none"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(warmup)  # a benchmark, not a test: it measures a steady state over wall time
        cpu0, t0 = _proc_cpu_s(proc.pid), time.monotonic()
        hwm = 0.0
        while proc.poll() is None and time.monotonic() - t0 < seconds - 0.5:
            time.sleep(0.5)
            hwm = max(hwm, _proc_hwm_mb(proc.pid))
        cpu1, t1 = _proc_cpu_s(proc.pid), time.monotonic()
        proc.wait(timeout=30)
        sims = subprocess.run([sys.executable, "-m", "tools.bench.simulators", str(cfg), str(seconds)], cwd=ROOT,
                              capture_output=True, text=True, timeout=seconds + 120, check=True)
    total = 100 * (cpu1 - cpu0) / (t1 - t0)
    simulators = json.loads(sims.stdout.strip().splitlines()[-1])["cpu_pct_of_one_core"]
    return {"cpu_pct_of_one_core": round(total, 2), "simulators_alone_cpu_pct": simulators,
            "agent_own_cpu_pct": round(total - simulators, 2), "peak_rss_mb": round(hwm, 1),
            "seconds": seconds, "exit_code": proc.returncode}


def bench_latency(seconds: float) -> dict[str, object]:
    """Tick latency in-process, with a VR client connected so the frame is really written."""
    from agent import config as agent_config
    from agent.app import Agent, run
    from agent.base.clock import Clock
    from agent.base.driver import Registry
    from agent.outputs.vrlink.client import VrLinkClient

    async def main(tmp: str) -> tuple[list[float], list[float]]:
        cfg_path = Path(tmp, "agent.toml")
        cfg_path.write_text(AGENT_TOML.format(tmp=tmp))
        config = agent_config.load(cfg_path, Registry())
        agent = Agent(config, Clock())
        stop = asyncio.Event()
        task = asyncio.create_task(run(agent, duration_s=seconds, stop=stop))
        while not config.vrlink.socket_path.exists():
            await asyncio.sleep(0.05)
        async with await VrLinkClient.connect_unix(config.vrlink.socket_path):
            await task
        return list(agent.analysis.latencies_s), list(agent.analysis.behind), list(agent.policy.inference_s)

    with tempfile.TemporaryDirectory() as tmp:
        ticks, behind, inference = asyncio.run(main(tmp))
    lat, inf, first = np.array(ticks) * 1000, np.array(inference) * 1e6, np.array(behind) == 0
    return {"ticks": int(lat.size), "p50_ms": round(float(np.percentile(lat, 50)), 3),
            "p99_ms": round(float(np.percentile(lat, 99)), 3), "max_ms": round(float(lat.max()), 3),
            # a Polar H10's 0.56-s notification often completes two ticks: the second frame waits for the first
            "first_of_arrival_p99_ms": round(float(np.percentile(lat[first], 99)), 3),
            "behind_another_share": round(float(1 - first.mean()), 3),
            "inference_calls": int(inf.size), "inference_p50_us": round(float(np.percentile(inf, 50)), 1),
            "inference_p99_us": round(float(np.percentile(inf, 99)), 1)}


def bench_replay() -> dict[str, object]:
    """WESAD S5 through the core as `edge-agent replay` runs it, and through the feature ticker alone."""
    import io

    from agent import config as agent_config
    from agent.base.driver import Registry
    from agent.core.features import FeatureExtractor
    from agent.core.ticker import Ticker
    from agent.replay import build_core, open_recorded, replay, ticks

    registry = Registry()
    config = agent_config.parse("", "<defaults>", registry)
    source = Path(os.environ.get("EDGE_AGENT_DATA", ROOT.parent / "shared" / "data")) / "wesad-wrist" / "S5_wrist.npz"
    recorded = open_recorded(source, registry=registry)

    def best_of(n: int, work) -> float:  # noqa: ANN001 - the least disturbed of n runs on a shared machine
        walls = []
        for _ in range(n):
            started = time.perf_counter()
            work()
            walls.append(time.perf_counter() - started)
        return min(walls)

    def whole() -> None:
        replay(config, recorded, io.StringIO(), core=build_core(config))

    def features_only() -> None:
        for _ in ticks(Ticker(FeatureExtractor(config.top.features), watermarks=False), recorded):
            pass

    wall, wall_features = best_of(3, whole), best_of(3, features_only)
    out = io.StringIO()
    result = replay(config, recorded, out, core=build_core(config))
    return {"recording": "wesad-wrist/S5_wrist.npz", "recorded_s": round(recorded.duration_s, 1),
            "wall_s": round(wall, 2), "speed_factor": round(recorded.duration_s / wall, 1), "ticks": result.lines,
            "features_only_wall_s": round(wall_features, 2),
            "features_only_speed_factor": round(recorded.duration_s / wall_features, 1)}


PARTS = {
    "signals": [sys.executable, "tests/agent/signals/nk_reference.py"],
    "vrlink": [sys.executable, "-m", "tools.bench.vrlink"],
    "sync": [sys.executable, "-m", "tools.bench.sync", "--records", "3000", "--kills", "50", "--writes", "500"],
    "backend": [sys.executable, "-m", "tools.bench.backend", "--records", "10000"],
    "serial": [sys.executable, "-m", "tests.drivers.bridge.bench_serial", "--seconds", "10"],
    "ble": [sys.executable, "-m", "tests.drivers.ble.bench_ble", "--seconds", "20"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=["start", "agent", "latency", "model", "replay", *PARTS],
                        help="run only these")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the real-rate agent run lasts")
    parser.add_argument("--latency-seconds", type=float, default=120.0,
                        help="how long the latency run lasts (120 s: about 480 ticks, so p99 is not one or two)")
    parser.add_argument("--json", type=Path, help="also write all figures here")
    args = parser.parse_args()
    want = set(args.only or ["start", "agent", "latency", "model", "replay", *PARTS])
    results: dict[str, object] = {}
    if "start" in want:
        results["start"] = bench_start.bench_start()
    if "agent" in want:
        results["agent"] = bench_agent(args.seconds)
    if "latency" in want:
        results["latency"] = bench_latency(args.latency_seconds)
    if "model" in want:
        results["model"] = bench_model.bench_model()
    if "replay" in want:
        results["replay"] = bench_replay()
    for name, cmd in PARTS.items():
        if name in want:
            # a script run by path has its own folder on sys.path, not the repository's
            path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
            env = {**os.environ, "PYTHONPATH": path}
            out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            results[name] = out.stdout.strip() if out.returncode == 0 else f"failed: {out.stderr[-2000:]}"
    print(json.dumps(results, indent=2, default=str))
    if "start" in results:
        print("\n".join(bench_start.verdicts(results["start"])))  # type: ignore[arg-type]
    if "agent" in results:
        a = results["agent"]
        print(f"\nbudgets: CPU {a['cpu_pct_of_one_core']} %, of which the simulated sensors' own synthesis "  # type: ignore[index]
              f"{a['simulators_alone_cpu_pct']} %: the agent's own {a['agent_own_cpu_pct']} % "  # type: ignore[index]
              f"(<= {BUDGETS['cpu_pct']}), "
              f"RSS {a['peak_rss_mb']} MB (<= {BUDGETS['rss_mb']})")  # type: ignore[index]
    if "latency" in results:
        lt = results["latency"]
        print(f"budgets: tick -> VR frame p99 {lt['p99_ms']} ms (<= {BUDGETS['latency_p99_ms']}); "  # type: ignore[index]
              f"the first frame of an arrival {lt['first_of_arrival_p99_ms']} ms, "  # type: ignore[index]
              f"{lt['behind_another_share']:.0%} of frames waited for another tick of their arrival")  # type: ignore[index]
    if "model" in results:
        m = results["model"]
        print(f"budgets: inference p99 {m['evaluator_p99_us']} us (<= 1000), "  # type: ignore[index]
              f"{m['p99_ratio_to_onnxruntime']}x onnxruntime's; {m['rss_saved_mb']} MB less RSS; "  # type: ignore[index]
              f"after {m['idle_s'] * 1000:g} ms asleep p50 {m['evaluator_after_idle_p50_us']} us, "  # type: ignore[index]
              f"{m['evaluator_after_idle_ratio_to_warm']}x warm (onnxruntime's {m['onnxruntime_after_idle_p50_us']} us)")  # type: ignore[index]
    if "replay" in results:
        r = results["replay"]
        print(f"budgets: replay {r['speed_factor']}x real time (>= {BUDGETS['replay_factor']}); "  # type: ignore[index]
              f"the feature ticker alone {r['features_only_speed_factor']}x")  # type: ignore[index]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
