"""Issue 18 finding 8: reasons a clinician can read, one unit system, and a glossary that matches the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.features import FEATURE_NAMES
from agent.core.reasons import PLAIN, glossary, phrase

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reasons.md"


@pytest.mark.parametrize("name, value, resting, expected", [
    ("hr_bpm", 96.0, 70.0, "heart beating faster (heart rate +37 % over resting)"),
    ("scl_slope_us_per_min", 3.2, 0.0, "sweating rising (skin conductance +3.2 µS/min vs resting)"),
    ("pnn50_pct", 10.0, 14.5, "heart rhythm less variable (HRV pNN50 -4.5 points vs resting)"),
    ("hf_ms2", 250.0, 1000.0, "breathing-linked heart rhythm weaker (HF power -75 % under resting)"),
    ("scr_amplitude_us", 0.1, 0.2, "smaller sweat responses (response size 0.1 µS, resting 0.2 µS)"),
])
def test_the_quoted_reasons_read_as_plain_words_with_the_number_behind_them(name, value, resting, expected):
    assert phrase(name, value, resting) == expected


def test_every_feature_has_plain_words_and_no_reason_uses_ascii_units():
    assert set(PLAIN) == set(FEATURE_NAMES)
    for name in FEATURE_NAMES:
        for value in (0.5, 2.0):
            text = phrase(name, value, 1.0)
            assert "uS" not in text and " x" not in text and "vs baseline" not in text, text


def test_the_glossary_in_the_docs_is_the_one_in_the_code():
    assert glossary() in DOCS.read_text(encoding="utf-8")
