"""The benchmark runs on the real workload and reports a ratio against NeuroKit2."""

from __future__ import annotations

from nk_reference import recompute

from tools.bench.signals import load_workload, measure


def test_benchmark_reports_tick_cost_beside_neurokit2() -> None:
    result = measure(recompute, workload=load_workload(), warmup_s=130.0, measure_s=20.0, reference_repeats=1)
    assert result["features_available"] >= 15
    assert result["tick_us_mean"] > 0 and result["reference_us"] > 0
    assert result["ratio"] > 10  # recomputing windows from scratch must cost far more than one incremental tick
