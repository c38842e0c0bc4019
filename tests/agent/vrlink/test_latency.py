"""The send-latency histogram: percentiles within one bin of the exact value, never below it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.outputs.vrlink.latency import LatencyHistogram

BIN_RATIO = 10 ** (7 / 800)  # 800 log bins over 7 decades


@settings(max_examples=200, deadline=None)
@given(
    samples=st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=300),
    q=st.floats(min_value=1, max_value=100),
)
def test_percentile_is_the_exact_value_rounded_up_to_its_bin(samples: list[int], q: float) -> None:
    hist = LatencyHistogram()
    for s in samples:
        hist.add(s)
    exact = sorted(samples)[max(0, math.ceil(q / 100 * len(samples)) - 1)]  # the inverted-CDF percentile
    got = hist.percentile_ns(q)
    assert got >= exact
    assert got <= max(exact * BIN_RATIO * (1 + 1e-9), 1e3) or got == max(samples)
    assert hist.n == len(samples) and hist.max_ns == max(samples)


def test_summary_in_milliseconds() -> None:
    hist = LatencyHistogram()
    assert hist.summary_ms() == {"n": 0}
    for us in (100, 200, 300, 400, 5000):
        hist.add(us * 1000)
    summary = hist.summary_ms()
    assert summary["n"] == 5 and summary["max"] == 5.0
    assert 0.3 <= summary["p50"] <= 0.3 * BIN_RATIO
    with pytest.raises(ValueError):
        LatencyHistogram().percentile_ns(50)
