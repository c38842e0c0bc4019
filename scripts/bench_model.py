"""scripts/bench --only model: the packaged model run by the built-in evaluator against onnxruntime.

The same 20,000 fresh inputs through both, one call at a time as the agent
makes them: latency percentiles and their ratio; and each engine's peak RSS
in a fresh interpreter that loads the model and scores once (the agent's
memory budget is why the evaluator exists: agent/core/model/onnx_file.py).

Then each engine again, each call after the thread has slept for IDLE_S, as
the live agent's calls come (a tick every 250 ms, a reading every few tens of
ms): what the machine charges code that has not run lately. On the shared
virtual machines this was measured on, the first call after 50 ms asleep cost
13 to 16 times a warm one, with either engine, whatever the idle state (a
pure-Python loop of about the same length, 2.6 times): the tick latency that
`scripts/bench --only latency` reports is mostly that, not the arithmetic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

CALLS = 20_000
IDLE_CALLS, IDLE_S = 100, 0.05

_RSS = """
import json, sys, numpy as np
from agent.core.model.runtime import DistressModel, packaged_model_dir
m = DistressModel.load(packaged_model_dir())
if sys.argv[1] == "onnxruntime":
    from agent.core.model.ort_session import OrtGraph
    m.graph = OrtGraph(m.path)
n = len(m.meta.features)
m.run(np.ones(n, np.float32), np.ones(n, np.float32))
print(json.dumps([m.graph.engine, int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024]))
"""


def _latencies_us(run, z: np.ndarray, usable: np.ndarray) -> np.ndarray:
    out = np.empty(len(z))
    for i in range(len(z)):
        t = time.perf_counter()
        run(z[i], usable[i])
        out[i] = time.perf_counter() - t
    return out * 1e6


def _after_idle_us(run, z: np.ndarray, usable: np.ndarray) -> np.ndarray:
    out = np.empty(IDLE_CALLS)
    for i in range(IDLE_CALLS):
        time.sleep(IDLE_S)  # a benchmark, not a test: the sleep is what is measured
        t = time.perf_counter()
        run(z[i], usable[i])
        out[i] = time.perf_counter() - t
    return out * 1e6


def bench_model() -> dict[str, object]:
    from agent.core.model.ort_session import OrtGraph
    from agent.core.model.runtime import DistressModel, packaged_model_dir

    ours = DistressModel.load(packaged_model_dir())
    theirs = DistressModel.load(packaged_model_dir())
    theirs.graph = OrtGraph(theirs.path)
    rng = np.random.default_rng(0)
    n = len(ours.meta.features)
    usable = (rng.random((CALLS, n)) < 0.8).astype(np.float32)
    z = np.where(usable > 0, rng.normal(size=(CALLS, n)), 0).astype(np.float32)
    a, b = _latencies_us(ours.run, z, usable), _latencies_us(theirs.run, z, usable)
    idle_a, idle_b = _after_idle_us(ours.run, z, usable), _after_idle_us(theirs.run, z, usable)
    worst = max(abs(ours.run(z[i], usable[i])[0] - theirs.run(z[i], usable[i])[0]) for i in range(0, CALLS, 10))
    rss = {}
    for engine in ("numpy", "onnxruntime"):
        done = subprocess.run([sys.executable, "-c", _RSS, engine], capture_output=True, text=True, check=True)
        rss[engine] = round(json.loads(done.stdout.strip().splitlines()[-1])[1], 1)
    return {
        "calls": CALLS,
        "evaluator_p50_us": round(float(np.percentile(a, 50)), 1), "evaluator_p99_us": round(float(np.percentile(a, 99)), 1),
        "onnxruntime_p50_us": round(float(np.percentile(b, 50)), 1), "onnxruntime_p99_us": round(float(np.percentile(b, 99)), 1),
        "p99_ratio_to_onnxruntime": round(float(np.percentile(a, 99) / np.percentile(b, 99)), 2),
        "idle_s": IDLE_S,
        "evaluator_after_idle_p50_us": round(float(np.percentile(idle_a, 50)), 1),
        "onnxruntime_after_idle_p50_us": round(float(np.percentile(idle_b, 50)), 1),
        "evaluator_after_idle_ratio_to_warm": round(float(np.percentile(idle_a, 50) / np.percentile(a, 50)), 1),
        "max_probability_difference": float(worst),
        "peak_rss_mb": rss, "rss_saved_mb": round(rss["onnxruntime"] - rss["numpy"], 1),
    }
