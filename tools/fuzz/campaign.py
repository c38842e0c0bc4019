"""The fuzz campaign: every target in its own process, a table of what each did.

``python -m tools.fuzz.campaign --inputs 1000000 --jobs 2`` (or ``scripts/fuzz``).
Per target it reports the inputs run, the exceptions outside the target's
contract and the broken promises (``Violation``) by kind, the slowest input,
the process's peak RSS and the wall time. Exit status 1 if anything escaped.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tools.fuzz.targets import TARGETS, Violation

_EXAMPLES = 3  # findings kept per kind, with their input and traceback


def fuzz_one(name: str, inputs: int, seed: int, deadline_s: float | None) -> dict[str, Any]:
    """Run one target in this process; the result is JSON-ready."""
    warnings.simplefilter("ignore")  # numpy's warnings on odd files are not findings; exceptions are
    target = TARGETS[name]()
    rng = random.Random(seed)
    findings: Counter[str] = Counter()
    examples: dict[str, dict[str, str]] = {}
    slowest = 0.0
    done = 0
    start = time.perf_counter()
    while done < inputs and (deadline_s is None or time.perf_counter() - start < deadline_s):
        data = target.make(rng)
        t0 = time.perf_counter()
        try:
            target.run(data)
        except target.contract:
            pass
        except Exception as exc:  # noqa: BLE001 - everything outside the contract is what we look for
            what = "violation" if isinstance(exc, Violation) else "exception"
            kind = f"{what} {type(exc).__name__}: {str(exc)[:120]}"
            findings[kind] += 1
            if findings[kind] <= _EXAMPLES:
                examples.setdefault(kind, {"input": repr(data)[:600], "traceback": traceback.format_exc(limit=-4)})
        slowest = max(slowest, time.perf_counter() - t0)
        done += 1
    return {
        "target": name,
        "inputs": done,
        "findings": dict(findings),
        "examples": examples,
        "max_input_ms": round(slowest * 1000, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def _child(name: str, inputs: int, seed: int, deadline_s: float | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "tools.fuzz.campaign", "--one", name, "--inputs", str(inputs), "--seed", str(seed)]
    if deadline_s is not None:
        cmd += ["--minutes", str(deadline_s / 60)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0 or not out.stdout.strip():
        return {"target": name, "inputs": 0, "findings": {f"crashed (exit {out.returncode})": 1},
                "examples": {"crash": {"input": "", "traceback": out.stderr[-2000:]}},
                "max_input_ms": 0, "rss_mb": 0, "wall_s": 0}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'target':<16}{'inputs':>11}{'outside contract':>18}{'max ms/input':>14}{'RSS MB':>8}{'wall s':>8}"]
    for r in results:
        bad = sum(r["findings"].values())
        lines.append(
            f"{r['target']:<16}{r['inputs']:>11,}{bad:>18}{r['max_input_ms']:>14.2f}{r['rss_mb']:>8.1f}{r['wall_s']:>8.1f}"
        )
        lines += [f"    {n:>7} × {kind}" for kind, n in r["findings"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=1_000_000, help="inputs per target (default 10^6)")
    ap.add_argument("--minutes", type=float, default=None, help="stop each target after this long, whatever its count")
    ap.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once, one process each")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--only", nargs="+", choices=sorted(TARGETS), help="these targets only")
    ap.add_argument("--json", help="also write the full results, with example inputs, to this file")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    deadline = args.minutes * 60 if args.minutes else None
    if args.one:
        print(json.dumps(fuzz_one(args.one, args.inputs, args.seed, deadline)))
        return 0
    names = args.only or list(TARGETS)
    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:  # threads only wait on the child processes
        results = list(pool.map(lambda n: _child(n, args.inputs, args.seed, deadline), names))
    print(table(results))
    print(f"total wall time {time.perf_counter() - started:.0f} s with {args.jobs} jobs")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return 1 if any(r["findings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
