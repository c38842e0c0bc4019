"""`edge-agent check` says which sensor groups will decide, and warns when EEG decides alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent import config as agent_config
from agent.base.driver import Registry
from agent.commands.selftest.groups import EEG_ALONE, check_groups
from agent.commands.selftest.step import Context
from agent.core.feature_specs import GROUPS
from tests.agent.selftest.test_check_cli import run_check, steps, write_config


def decides(feeds: dict[str, tuple[str, ...]], tmp: Path, model: tuple[str, ...] | None = GROUPS) -> list:
    config = agent_config.load(write_config(tmp, "", port=None), Registry())
    return asyncio.run(check_groups(Context(config, feeds=feeds, model_groups=model)))


def test_the_groups_are_named_with_the_sensors_that_feed_them(tmp_path: Path) -> None:
    [step] = decides({"strap": ("cardiac",), "band": ("eda",), "ring": ("cardiac",), "cap": ("eeg",)}, tmp_path)
    assert step.status == "pass"
    assert step.figure == "heart (strap, ring), skin (band), EEG (cap)"


def test_eeg_alone_is_a_warning_with_a_fix_and_nothing_streamed_is_no_step(tmp_path: Path) -> None:
    [step] = decides({"cap": ("eeg",), "thermometer": ()}, tmp_path)
    assert step.status == "warn" and step.detail == EEG_ALONE and "chest strap" in step.fix
    assert decides({}, tmp_path) == [] and decides({"thermometer": ()}, tmp_path) == []
    assert decides({"cap": ("eeg",)}, tmp_path, model=None) == []  # the model did not load: its step says so


def test_a_sensor_the_model_does_not_read_is_named_and_alone_it_fails(tmp_path: Path) -> None:
    """A model update may read fewer groups than the packaged one."""
    [step] = decides({"strap": ("cardiac",), "cap": ("eeg",)}, tmp_path, model=("cardiac", "eda"))
    assert step.status == "pass" and step.figure == "heart (strap)"
    assert step.detail == "EEG (cap) streams, but the model does not read it"
    [step] = decides({"cap": ("eeg",)}, tmp_path, model=("cardiac", "eda"))
    assert step.status == "fail" and step.figure == "nothing"
    assert step.detail == "EEG (cap) streams, but the model does not read it" and "(heart, skin)" in step.fix


def test_a_failed_sensor_does_not_count_and_the_report_says_what_each_sensor_feeds(tmp_path: Path) -> None:
    devices = """
[devices.strap]
driver = "sim-chest-strap"
faults = [{kind = "contact_loss", at_s = 0.0, duration_s = 600.0}]

[devices.cap]
driver = "sim-eeg"
"""
    code, report = run_check(write_config(tmp_path, devices, port=None))
    s = steps(report)
    assert s["sensor strap"]["status"] == "fail" and s["sensor cap"]["status"] == "warn"  # simulated, so a warning
    assert s["sensor cap"]["feeds"] == ["eeg"] and s["model"]["feeds"] == []
    assert s["decides from"]["status"] == "warn" and s["decides from"]["figure"] == "EEG (cap)"
    assert s["decides from"]["detail"] == EEG_ALONE and code == 1  # the strap's failure fails the check


def test_a_strap_beside_the_eeg_passes(tmp_path: Path) -> None:
    devices = '[devices.strap]\ndriver = "sim-chest-strap"\n\n[devices.cap]\ndriver = "sim-eeg"\n'
    _, report = run_check(write_config(tmp_path, devices, port=None))
    s = steps(report)
    assert s["sensor strap"]["feeds"] == ["cardiac"]
    assert s["decides from"]["status"] == "pass" and s["decides from"]["figure"] == "heart (strap), EEG (cap)"

