"""scripts/bench_start.py measures what it says: READY=1 really arrives on the socket it made, from a real agent."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_start  # noqa: E402


def test_the_start_benchmark_sees_ready_and_measures_the_process() -> None:
    ready_s, peak_mb = bench_start.start_once(after_ready_s=0.0)
    assert ready_s > 0 and peak_mb > 10  # a real process, not this one: an interpreter alone is ~10 MB
    version_s, version_mb = bench_start.version_once()
    assert version_s > 0 and 5 < version_mb < peak_mb  # --version loads less than the running agent
    assert bench_start.verdicts({"ready_s_median": ready_s, "version_s_median": version_s,
                                 "version_peak_rss_mb": version_mb, "peak_rss_mb_after_ready": peak_mb})[0].startswith(
        "budgets: start -> READY (median)")
