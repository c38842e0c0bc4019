"""The simulated sensors' own CPU, for scripts/bench: what the agent's figure includes that hardware would not cost.

    python -m tools.bench.simulators CONFIG.toml [SECONDS]   # prints one JSON object

``scripts/bench --only agent`` runs the agent on simulated sensors, whose
signals are synthesised in the agent's own process. This runs the same
devices from the same config, consuming their chunks and doing nothing else,
so ``agent CPU - this`` is what the agent itself spends on the same data.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from agent import config as agent_config
from agent.base.clock import Clock
from agent.base.driver import DriverContext, Registry, bound_logger
from agent.runtime.supervisor import DeviceSpec

WARMUP_S = 10.0  # as the agent's run: its first seconds (imports, first blocks) are not the steady state


async def _consume(spec: DeviceSpec, clock: Clock, stop: float) -> None:
    driver = spec.plugin.load()(spec.options, DriverContext(spec.device_id, clock, bound_logger(spec.device_id)))
    async with driver as device:
        async for _ in device.chunks():
            if time.monotonic() > stop:
                return


async def measure(config_path: Path, seconds: float, warmup_s: float = WARMUP_S) -> dict[str, object]:
    config = agent_config.parse(config_path.read_text(), str(config_path), Registry())
    clock = Clock()
    start = time.monotonic()
    tasks = [asyncio.create_task(_consume(s, clock, start + warmup_s + seconds)) for s in config.devices]
    await asyncio.sleep(warmup_s)  # a benchmark's warm-up over wall time
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.gather(*tasks)
    cpu1, t1 = time.process_time(), time.monotonic()
    return {"cpu_pct_of_one_core": round(100 * (cpu1 - cpu0) / (t1 - t0), 2), "devices": len(tasks),
            "seconds": round(t1 - t0, 1)}


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    print(json.dumps(asyncio.run(measure(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 30.0))))
