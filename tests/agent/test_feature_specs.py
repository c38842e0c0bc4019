"""One FeatureSpec per feature, complete, and every per-feature table derived from it.

That each spec'd feature is also computed is tests/agent/test_features.py's
``test_real_streams_fill_every_feature``; that the committed model still fits them is
tests/models/test_committed_model.py.
"""

from __future__ import annotations

import math
import re
from typing import get_args, get_type_hints

import numpy as np
import pytest

from agent.core import anchor, baseline, reasons
from agent.core.feature_specs import FEATURES, GROUPS, FeatureSpec, Reading
from agent.core.features import FEATURE_NAMES, FEATURE_UNITS


def incomplete(spec: FeatureSpec) -> list[str]:
    """What ``spec`` lacks or gets wrong; empty when it is complete."""
    out = []
    if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.name):
        out.append("name: lower-case letters, digits and '_'")
    if not spec.unit.strip():
        out.append("unit")
    if spec.group not in GROUPS:
        out.append(f"group: one of {GROUPS}")
    if not (isinstance(spec.floor, float) and math.isfinite(spec.floor) and spec.floor > 0):
        out.append("floor: a finite spread > 0 in the feature's unit")
    if spec.calm not in (-1, 0, 1):
        out.append("calm: -1, 0 or +1")
    r = spec.reading
    if not isinstance(r, Reading):
        return [*out, "reading"]
    for part in ("up", "down", "measure", "meaning"):
        if not getattr(r, part).strip():
            out.append(f"reading.{part}")
    if r.up == r.down:
        out.append("reading: a rise and a fall read the same")
    if r.style not in get_args(get_type_hints(Reading)["style"]):
        out.append("reading.style: pct, diff or both")
    return out


@pytest.mark.parametrize("spec", FEATURES, ids=[f.name for f in FEATURES])
def test_every_feature_is_fully_specified(spec: FeatureSpec) -> None:
    assert incomplete(spec) == []


def test_the_check_sees_a_missing_part() -> None:
    spec = FEATURES[0]
    reading = spec.reading
    broken = [
        FeatureSpec(spec.name, "", spec.group, spec.floor, spec.calm, reading),
        FeatureSpec(spec.name, spec.unit, "mood", spec.floor, spec.calm, reading),
        FeatureSpec(spec.name, spec.unit, spec.group, 0.0, spec.calm, reading),
        FeatureSpec(spec.name, spec.unit, spec.group, float("nan"), spec.calm, reading),
        FeatureSpec(spec.name, spec.unit, spec.group, spec.floor, 2, reading),  # type: ignore[arg-type]
        FeatureSpec(spec.name, spec.unit, spec.group, spec.floor, spec.calm,
                    Reading(reading.up, reading.down, reading.measure, "pct", reading.unit, "")),
        FeatureSpec(spec.name, spec.unit, spec.group, spec.floor, spec.calm,
                    Reading(reading.up, reading.up, reading.measure, "pct", reading.unit, reading.meaning)),
        FeatureSpec(spec.name, spec.unit, spec.group, spec.floor, spec.calm,
                    Reading(reading.up, reading.down, reading.measure, "ratio", reading.unit, reading.meaning)),  # type: ignore[arg-type]
    ]
    assert all(incomplete(b) for b in broken)
    with pytest.raises(TypeError):
        FeatureSpec(spec.name, spec.unit, spec.group, spec.floor, spec.calm)  # type: ignore[call-arg]


def test_names_are_unique_and_every_group_has_features() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    assert {f.group for f in FEATURES} == set(GROUPS)


def test_every_table_is_derived_from_the_specs() -> None:
    assert FEATURE_NAMES == tuple(f.name for f in FEATURES)
    assert FEATURE_UNITS == {f.name: f.unit for f in FEATURES}
    np.testing.assert_array_equal(baseline.FLOORS, [f.floor for f in FEATURES])
    assert anchor.CALM_DIRECTION == {f.name: f.calm for f in FEATURES if f.calm}
    assert list(reasons.PLAIN) == list(FEATURE_NAMES)
    assert all(reasons.PLAIN[f.name] is f.reading for f in FEATURES)

