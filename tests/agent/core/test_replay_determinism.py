"""Replay through the core: the same bytes for the same recording and settings, however it is chunked."""

from __future__ import annotations

import functools
import hashlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent import config as agent_config
from agent.base.datasets import data_root
from agent.base.driver import Registry
from agent.replay import build_core, open_recorded, replay

REGISTRY = Registry()
# calibrate quickly, so a 10-minute slice holds real decisions and not only holds
CONFIG = agent_config.parse("[baseline]\ncalibration_s = 60\n", "<test>", REGISTRY)
S5 = data_root() / "wesad-wrist" / "S5_wrist.npz"
SLICE = {"start_s": 600.0, "duration_s": 420.0}  # the end of the rest condition and the start of the TSST


def replayed(path: Path, chunk_s: float | None = None, **part: float) -> str:
    recorded = open_recorded(path, registry=REGISTRY, chunk_s=chunk_s, **part)
    out = io.StringIO()
    replay(CONFIG, recorded, out, core=build_core(CONFIG))
    return out.getvalue()


@functools.cache
def reference() -> str:
    return replayed(S5, **SLICE)


def test_the_same_recording_replays_to_the_same_bytes_across_runs_and_three_chunkings() -> None:
    lines = [json.loads(x) for x in reference().splitlines()]
    assert len(lines) == 4 * 420 and any(x["level"] != "hold" for x in lines)  # real decisions, not only holds
    assert replayed(S5, **SLICE) == reference()
    digests = {hashlib.sha256(replayed(S5, c, **SLICE).encode()).hexdigest() for c in (0.25, 1.0, 7.3)}
    assert digests == {hashlib.sha256(reference().encode()).hexdigest()}


@settings(max_examples=6, deadline=None)
@given(chunk_s=st.floats(min_value=0.05, max_value=30.0, allow_nan=False))
def test_any_chunk_length_gives_the_same_bytes(chunk_s: float) -> None:
    same = replayed(S5, chunk_s, **SLICE) == reference()
    assert same, f"chunks of {chunk_s} s changed the output"


def test_hold_ticks_say_there_is_no_decision() -> None:
    lines = [json.loads(x) for x in reference().splitlines()]
    holds = [x for x in lines if x["level"] == "hold"]
    decided = [x for x in lines if x["level"] != "hold"]
    assert holds and decided
    assert all(x["distress"] is None and x["reasons"][0].startswith("hold: ") for x in holds)
    assert all(isinstance(x["distress"], float) and not x["reasons"][0].startswith("hold") for x in decided)


FORMATS = [
    ("wesad-wrist/S5_wrist.npz", True),
    ("stress-predict/raw/S02", True),
    ("muse-eeg/subjectb-relaxed-2.csv", False),
    ("rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt", False),
    ("rr-intervals/pyhrv_SampleNNISeriesLong.npy", False),
    ("eegmat/Subject02.npz", True),
    ("biosignal-samples/bio_resting_5min_100hz.csv", False),
    ("rr-intervals/pyhrv_SampleECG.txt", False),
]


@pytest.mark.parametrize(("relative", "labelled"), FORMATS, ids=[f for f, _ in FORMATS])
def test_every_format_gives_strictly_increasing_ticks_with_the_label_from_the_first(
    relative: str, labelled: bool
) -> None:
    lines = [json.loads(x) for x in replayed(data_root() / relative, duration_s=150.0).splitlines()]
    assert len(lines) > 40
    t = [x["t"] for x in lines]
    assert all(b > a for a, b in zip(t, t[1:], strict=False)), "ticks go back in time"
    assert t[0] < 5.0  # the recording's start is decided first, not last
    if labelled:
        labels = [x["label"] for x in lines]  # every line has one; null only before the label stream starts
        first = next(i for i, v in enumerate(labels) if v is not None)
        assert first < 40 and None not in labels[first:]
    else:
        assert all("label" not in x for x in lines)
