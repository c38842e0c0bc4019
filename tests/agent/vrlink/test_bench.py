"""The benchmark scripts/bench calls runs end to end (a small scenario; the figures come from the full one)."""

from __future__ import annotations

from agent.vrlink.bench import run


def test_bench_scenario_reports_its_figures() -> None:
    result = run(clients=3, adaptations=20, rate_hz=200.0)
    assert result["clients"] == 3 and result["adaptations_dropped"] == 0
    latency = result["encode_and_send_ms"]
    assert latency["n"] == 60  # every adaptation written to every client
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert result["cpu_seconds"] > 0 and result["cpu_percent_of_one_core"] > 0
