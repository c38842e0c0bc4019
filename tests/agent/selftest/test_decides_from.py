"""`edge-agent check` says which sensor groups will decide, and warns when EEG decides alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.commands.selftest.groups import EEG_ALONE, check_groups
from agent.commands.selftest.step import Context
from tests.agent.selftest.test_check_cli import run_check, steps, write_config


def decides(feeds: dict[str, tuple[str, ...]], tmp: Path) -> list:
    from agent import config as agent_config
    from agent.base.driver import Registry

    config = agent_config.load(write_config(tmp, "", port=None), Registry())
    return asyncio.run(check_groups(Context(config, feeds=feeds)))


def test_the_groups_are_named_with_the_sensors_that_feed_them(tmp_path: Path) -> None:
    [step] = decides({"strap": ("cardiac",), "band": ("eda",), "ring": ("cardiac",), "cap": ("eeg",)}, tmp_path)
    assert step.status == "pass"
    assert step.figure == "heart (strap, ring), skin (band), EEG (cap)"


def test_eeg_alone_is_a_warning_with_a_fix_and_nothing_streamed_is_no_step(tmp_path: Path) -> None:
    [step] = decides({"cap": ("eeg",), "thermometer": ()}, tmp_path)
    assert step.status == "warn" and step.detail == EEG_ALONE and "chest strap" in step.fix
    assert decides({}, tmp_path) == [] and decides({"thermometer": ()}, tmp_path) == []


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

