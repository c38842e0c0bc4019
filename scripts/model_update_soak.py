"""Model updates under fire, and their figures.

``soak``: ``kill -9`` the updater at random points of download and install,
again and again on one state directory, with a real mosquitto. After every
kill the state is opened as the agent does at start-up and checked: exactly
one complete, verified model is active (the packaged one before the first
install), it loads, it is the last installed version or the one being
installed, and disk use is bounded (active + previous + one more version,
one staging download). Each install that completes is followed by a newer
version, so kills land in every step many times.

``bench``: the time to update a 5 MB model over a local broker (download,
verify, test-load, swap), and the shadow-mode overhead per tick.

Usage::

    scripts/model-update-soak soak --iterations 200 [--size-mb 1] [--seed 1] [--json FILE]
    scripts/model-update-soak bench [--size-mb 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import onnxruntime  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from agent.base.clock import Clock  # noqa: E402
from agent.outputs.sync.mqtt import ConnectParams, MqttLink  # noqa: E402
from agent.outputs.sync.options import BrokerOptions, SyncOptions  # noqa: E402
from agent.runtime.updates import UpdateOptions  # noqa: E402
from agent.runtime.updates.keys import install_trusted, public_text  # noqa: E402
from agent.runtime.updates.manifest import describe, sign  # noqa: E402
from agent.runtime.updates.probe import contract_of, trial_load  # noqa: E402
from agent.runtime.updates.publish import publish  # noqa: E402
from agent.runtime.updates.store import ModelStore  # noqa: E402
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker  # noqa: E402

SITE, DEVICE = "soak", "hs1"
PROBATION_S = 0.15  # the headless updater's probation: long enough for kills to land in it


# -- the process that gets killed ---------------------------------------------

def _options(keys: Path, probation_s: float = 0.0) -> UpdateOptions:
    return UpdateOptions(trusted_keys_dir=keys, shadow_s=0, probation_s=probation_s)


def _sync(port: int, password: Path) -> SyncOptions:
    return SyncOptions(site=SITE, device=DEVICE, broker=BrokerOptions(
        host="127.0.0.1", port=port, username=USERNAME, password_file=password,
        backoff_initial_s=0.05, backoff_max_s=0.5))


async def _child(state: Path, keys: Path, port: int, password: Path, probation_s: float) -> None:
    from agent.runtime.updates.updater import ModelUpdater

    store = ModelStore(state)
    store.resolve()  # what the agent does at start-up
    updater = ModelUpdater(_options(keys, probation_s), _sync(port, password), store, None, Clock())
    task = asyncio.create_task(updater.run())
    said = set()
    while not task.done():
        if updater._link is not None and "connected" not in said:
            said.add("connected")
            print("connected", flush=True)
        last = updater.status.last
        if last and last["event"] == "installed" and last["version"] not in said:
            said.add(last["version"])
            print(f"installed {last['version']} {json.dumps(updater.status.timings_s)}", flush=True)
        await asyncio.sleep(0.005)
    task.result()


# -- the parent ----------------------------------------------------------------

class Fleet:
    """The broker, the backend's key and link, and a state directory for one device."""

    def __init__(self, work: Path, size_bytes: int, rng: random.Random) -> None:
        self.work, self.size_bytes, self.rng = work, size_bytes, rng
        self.broker = LocalBroker(work / "broker")
        self.key = Ed25519PrivateKey.generate()
        self.keys = work / "model-keys"
        self.state = work / "state"
        self.password = work / "password"
        self.link: MqttLink | None = None

    async def __aenter__(self) -> Fleet:
        await self.broker.start()
        self.password.write_text(PASSWORD + "\n")
        self.password.chmod(0o600)
        pub = self.work / "backend.pub"
        pub.write_text(public_text(self.key.public_key()))
        install_trusted(self.keys, [pub])
        self.link = MqttLink(ConnectParams("127.0.0.1", self.broker.port, "soak-backend", 30, 5.0, 60, 64,
                                           USERNAME, PASSWORD))
        await self.link.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.link is not None:
            await self.link.disconnect()
        await self.broker.stop()

    async def offer(self, version: int) -> float:
        """Build a model of about ``size_bytes`` (new bytes each version), sign it, publish it; returns the seconds."""
        sys.path.insert(0, str(ROOT))
        from tests.support.model_variants import make_variant

        started = time.perf_counter()
        d = self.work / "models" / str(version)
        shutil.rmtree(d, ignore_errors=True)
        make_variant(d, f"soak-{version}", pad_bytes=self.size_bytes)
        (d / "weights.bin").write_bytes(self.rng.randbytes(4096))  # a file per version that differs
        model = trial_load(d)
        manifest = describe(d, model_id="distress", version=version, label=model.version,
                            contract=contract_of(model), expires_in_s=3600)
        assert self.link is not None
        await publish(self.link, sign(manifest, [self.key]), d, prefix="v1", site=SITE, device=DEVICE)
        return time.perf_counter() - started

    def spawn(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, __file__, "child", "--state", str(self.state), "--keys", str(self.keys),
             "--port", str(self.broker.port), "--password", str(self.password), "--probation", str(PROBATION_S)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


async def _read_line(proc: subprocess.Popen[str], prefix: str, timeout_s: float) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(timeout_s):
        while True:
            line = await asyncio.to_thread(proc.stdout.readline)
            if not line:
                raise RuntimeError(f"the updater exited ({proc.poll()}) before saying {prefix!r}")
            if line.startswith(prefix):
                return line.strip()


def _check(state: Path, good: int, target: int) -> tuple[int, str]:
    """Open the state as the agent does at start-up; exactly one complete verified model, or the run fails."""
    store = ModelStore(state)
    linked, probation = store.linked_version(), store.state().get("probation")
    if probation and linked == target:
        phase = "swapped, on probation"
    elif linked == target:
        phase = "installed"
    elif target in store.installed_versions():
        phase = "verified, not yet swapped"
    elif any(store.staging_root.iterdir()):
        phase = "downloading"
    else:
        phase = "before the download"
    allowed = {good, target}
    installed = store.resolve()
    version = 0 if installed is None else installed.version
    if version not in allowed:
        raise AssertionError(f"active version {version} is neither of {sorted(allowed)}")
    if installed is not None:
        assert store.verify(version).directory == installed.directory  # every hash again
        trial_load(installed.directory)
    if len(store.installed_versions()) > 3 or len(list(store.staging_root.iterdir())) > 1:
        raise AssertionError(f"disk not bounded: versions {store.installed_versions()}, "
                             f"staging {list(store.staging_root.iterdir())}")
    return version, phase


async def soak(iterations: int, size_bytes: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="model-soak-") as tmp:
        async with Fleet(Path(tmp), size_bytes, rng) as fleet:
            target, good = 1, 0
            await fleet.offer(target)
            # calibrate: one run without a kill gives the span of download + install
            proc = fleet.spawn()
            try:
                await _read_line(proc, "connected", 30)
                t0 = time.perf_counter()
                line = await _read_line(proc, "installed", 120)
                span = time.perf_counter() - t0
            finally:
                proc.kill()
                proc.wait()
            good, _ = _check(fleet.state, 0, target)
            target += 1
            await fleet.offer(target)
            phases: Counter[str] = Counter()
            installs = 1
            for _ in range(iterations):
                proc = fleet.spawn()
                try:
                    await _read_line(proc, "connected", 30)
                    await asyncio.sleep(rng.uniform(0, span * 1.2))
                finally:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                version, phase = _check(fleet.state, good, target)
                phases[phase] += 1
                refused = [r for r in ModelStore(fleet.state).state().get("refused", {}).values()
                           if r.get("version") == target]
                if version == target and not ModelStore(fleet.state).state().get("probation"):
                    installs += 1
                    good, target = target, target + 1
                    await fleet.offer(target)
                elif refused:  # killed in probation more than MAX_PROBATION_BOOTS times: rolled back, as designed
                    if refused[0]["reason"] != "rolled-back":  # anything else refused a good update: a bug
                        raise AssertionError(f"version {target} refused after a kill: {refused[0]}")
                    phases["rolled back (killed in probation 4 times)"] += 1
                    target += 1
                    await fleet.offer(target)
            return {"iterations": iterations, "kills": iterations, "installs_completed": installs,
                    "last_version": good, "calibration_span_s": round(span, 3), "calibration": line,
                    "state_at_kill": dict(phases), "model_bytes": size_bytes, "failures": 0,
                    "elapsed_s": round(time.perf_counter() - started, 1)}


async def bench(size_bytes: int) -> dict[str, object]:
    from agent.runtime.updates.updater import ModelUpdater

    result: dict[str, object] = {"model_bytes": size_bytes}
    with tempfile.TemporaryDirectory(prefix="model-bench-") as tmp:
        async with Fleet(Path(tmp), size_bytes, random.Random(5)) as fleet:
            result["publish_s"] = round(await fleet.offer(1), 3)
            store = ModelStore(fleet.state)
            updater = ModelUpdater(_options(fleet.keys), _sync(fleet.broker.port, fleet.password),
                                   store, None, Clock())
            started = time.perf_counter()
            task = asyncio.create_task(updater.run())
            while not (updater.status.last and updater.status.last["event"] == "installed"):
                await asyncio.sleep(0.002)
            result["update_s"] = round(time.perf_counter() - started, 3)
            result["steps_s"] = dict(updater.status.timings_s)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    result["shadow"] = shadow_overhead()
    return result


def shadow_overhead(ticks: int = 4000) -> dict[str, float]:
    """Per-tick cost of the model call in steady mode and in shadow mode (packaged model against a copy)."""
    import numpy as np

    from agent.core.model.runtime import DistressModel
    from agent.runtime.updates.probe import probe_vector
    from agent.runtime.updates.slot import ModelSlot, Request

    z0, fv = probe_vector()
    rng = np.random.default_rng(3)
    zs = rng.standard_normal((ticks, len(z0))).astype(np.float32)
    steady = ModelSlot(DistressModel.load(), 0)
    shadow = ModelSlot(DistressModel.load(), 0)
    shadow.request(Request("shadow", DistressModel.load(), 1))
    shadow.apply_pending()
    times: dict[str, list[float]] = {"steady": [], "shadow": []}
    for z in zs:  # interleaved, so both see the same machine load and CPU frequency
        for mode, slot in (("steady", steady), ("shadow", shadow)):
            t = time.perf_counter()
            slot.infer(z, fv)
            times[mode].append(time.perf_counter() - t)
    out: dict[str, float] = {}
    for mode, values in times.items():
        arr = np.array(values[200:]) * 1e6
        out[f"{mode}_mean_us"] = round(float(arr.mean()), 1)
        out[f"{mode}_p50_us"] = round(float(np.percentile(arr, 50)), 1)
        out[f"{mode}_p90_us"] = round(float(np.percentile(arr, 90)), 1)
        out[f"{mode}_p99_us"] = round(float(np.percentile(arr, 99)), 1)  # on a shared machine: preemption spikes
    out["slot_mean_extra_ms"] = float(shadow.comparison.as_dict()["mean_extra_ms"] or 0.0)
    out["overhead_mean_us"] = round(out["shadow_mean_us"] - out["steady_mean_us"], 1)
    out["overhead_p50_us"] = round(out["shadow_p50_us"] - out["steady_p50_us"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("soak")
    s.add_argument("--iterations", type=int, default=200)
    s.add_argument("--size-mb", type=float, default=1.0)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--json", type=Path)
    b = sub.add_parser("bench")
    b.add_argument("--size-mb", type=float, default=5.0)
    b.add_argument("--json", type=Path)
    c = sub.add_parser("child")
    for name in ("state", "keys", "password"):
        c.add_argument(f"--{name}", type=Path, required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--probation", type=float, default=0.0)
    args = parser.parse_args()
    if args.cmd == "child":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_child(args.state, args.keys, args.port, args.password, args.probation))
        return
    if args.cmd == "soak":
        report = asyncio.run(soak(args.iterations, int(args.size_mb * (1 << 20)), args.seed))
    else:
        report = asyncio.run(bench(int(args.size_mb * (1 << 20))))
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    onnxruntime.set_default_logger_severity(3)  # the padding initializer is unused on purpose: no warning per load
    main()
