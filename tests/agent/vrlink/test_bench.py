"""The benchmark scripts/bench calls runs end to end (a small scenario; the figures come from the full one)."""

from __future__ import annotations

from tools.bench.vrlink import run
from tools.bench.vrlink_events import run_events


def test_bench_scenario_reports_its_figures() -> None:
    result = run(clients=3, adaptations=20, rate_hz=200.0)
    assert result["clients"] == 3 and result["adaptations_dropped"] == 0
    latency = result["encode_and_send_ms"]
    assert latency["n"] == 60  # every adaptation written to every client
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert result["cpu_seconds"] > 0 and result["cpu_percent_of_one_core"] > 0


def test_event_bench_reports_ack_latency_and_the_burst() -> None:
    result = run_events(sequential=20, burst=300)
    assert result["ack_ms"]["n"] == 20 and 0 < result["ack_ms"]["p50"] <= result["ack_ms"]["p99"]
    burst = result["burst"]
    assert burst["answers"] == 300 and burst["other"] == 0 and burst["acks"] + burst["busy"] == 300
    assert result["recorded"] == 1 + 20 + burst["acks"]  # each acked event once
