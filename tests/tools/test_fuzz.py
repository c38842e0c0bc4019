"""The fuzz campaign in short: every target, a couple of thousand hypothesis-drawn inputs each.

scripts/fuzz runs the same targets for 10^6 inputs each; here CI checks
that no decoder lets anything but its contract errors escape, and that
the stream decoders keep resynchronising, on a fixed budget.
"""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.fuzz.targets import TARGETS

_targets = {name: cls() for name, cls in TARGETS.items()}


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=1500, deadline=None, database=None)
@given(seed=st.integers(0, 2**64 - 1))
def test_target_raises_only_its_contract(name: str, seed: int) -> None:
    target = _targets[name]
    data = target.make(random.Random(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns on odd files; only exceptions break the contract
        try:
            target.run(data)
        except target.contract:
            pass


def test_the_campaign_reports_a_table_and_exits_0_when_nothing_escapes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tools.fuzz.campaign", "--inputs", "200", "--jobs", "2", "--only", "hrs", "shimmer"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["target", "inputs"]
    rows = {line.split()[0]: line.split() for line in lines[1:3]}
    assert rows["hrs"][1] == "200" and rows["shimmer"][1] == "200" and rows["hrs"][2] == "0"
