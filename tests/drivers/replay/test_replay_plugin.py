"""The replay plugin: found by entry point, typed options, light import, discovery."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from agent.base.clock import Clock
from agent.base.datasets import data_root
from agent.base.driver import Driver, DriverContext, Registry, bound_logger
from drivers.replay.driver import ReplayDriver
from drivers.replay.plugin import REPLAY, ReplayOptions


def test_registry_finds_the_replay_plugin_and_its_driver() -> None:
    plugin = Registry().plugin("replay")
    assert plugin is REPLAY and plugin.extra is None
    assert plugin.load() is ReplayDriver
    assert ReplayDriver.options is ReplayOptions


def test_example_options_are_valid_and_name_a_real_recording() -> None:
    options = ReplayOptions.model_validate(REPLAY.example)
    assert (data_root() / options.path).is_file()
    driver = REPLAY.create(options, DriverContext("x", Clock(), bound_logger("x")))
    assert isinstance(driver, Driver)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"path": "a.npz"}, {"speed": 1.0, "format": "auto", "loop": False, "start_s": 0.0, "duration_s": None}),
        ({"path": "a.npz", "speed": "max"}, {"speed": "max"}),
        ({"path": "a.npz", "speed": "2.5"}, {"speed": 2.5}),
        ({"path": "a", "format": "e4-folder", "streams": ["eda", "rr"]}, {"streams": ("eda", "rr")}),
    ],
)
def test_options_parse(given: dict[str, Any], expected: dict[str, Any]) -> None:
    options = ReplayOptions.model_validate(given)
    assert {k: getattr(options, k) for k in expected} == expected


@pytest.mark.parametrize(
    "given",
    [
        {"path": "a.npz", "speed": 0},
        {"path": "a.npz", "speed": "fast"},
        {"path": "a.npz", "speed": float("inf")},
        {"path": "a.npz", "format": "edf"},
        {"path": "a.npz", "start_s": -1},
        {"path": "a.npz", "duration_s": 0},
        {"path": "a.npz", "streams": []},
        {"path": "a.npz", "streams": ["eda", "eda"]},
        {"path": ""},
        {"path": "a.npz", "sped": 2},
        {},
    ],
)
def test_bad_options_are_rejected(given: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ReplayOptions.model_validate(given)


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, drivers.replay.plugin\n"
        "heavy = [m for m in ('drivers.replay.driver', 'drivers.replay.formats', 'bleak', 'serial', 'pylsl')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


async def test_discover_lists_every_recording_by_relative_path(data: Path) -> None:
    found = await ReplayDriver.discover(timeout_s=10)
    by_address = {d.address: d for d in found}
    assert all(d.driver == "replay" for d in found)
    assert by_address["wesad-wrist/S5_wrist.npz"].details == "format wesad-npz"
    assert by_address["stress-predict/raw/S02"].details == "format e4-folder"
    assert "muse-eeg/subjectb-relaxed-2.csv" in by_address
    assert "eegmat/Subject02.npz" in by_address
    assert "rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt" in by_address
    assert "biosignal-samples/ecg_1000hz.csv" in by_address
    # files that are not recordings, and the files inside a session folder, are not listed
    for address in (
        "README.md",
        "rr-intervals/LICENSE_pyhrv_BSD3.txt",
        "stress-predict/labels_1hz.csv",
        "stress-predict/raw/S02/EDA.csv",
        "eegmat/subject-info.csv",
    ):
        assert address not in by_address
    assert by_address["rr-intervals/pyhrv_SampleECG.txt"].details == "format opensignals-txt"
    # 12 WESAD + 27 Stress-Predict + 24 Muse + 28 EEGMAT + 4 NeuroKit + 5 RR + 1 BITalino
    assert len(found) == len(by_address) == 101


async def test_discovered_addresses_play(data: Path, play: Callable[..., Any]) -> None:
    found = await ReplayDriver.discover(timeout_s=10)
    kinds: dict[str, str] = {}
    for d in found:
        kinds.setdefault(d.details, d.address)
    for address in kinds.values():
        played = await play(path=address, speed="max", duration_s=2)
        assert played.chunks, address
