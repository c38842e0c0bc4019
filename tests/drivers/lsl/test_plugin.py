"""The entry point: light to import, typed options, a valid example."""

from __future__ import annotations

import subprocess
import sys

import pydantic
import pytest

from agent.base.driver import Registry
from drivers.lsl.plugin import LSL, LslOptions
from tests.drivers.lsl.outlets import REPO


def test_the_entry_point_names_the_lsl_plugin_and_its_example_is_valid():
    plugin = Registry().plugin("lsl")
    assert plugin is LSL and plugin.extra == "lsl"
    LslOptions.model_validate(plugin.example)
    from drivers.lsl.driver import LslDriver

    assert plugin.load() is LslDriver and LslDriver.options is LslOptions


def test_the_descriptor_imports_no_pylsl_and_sets_no_environment():
    code = (
        "import os, sys; before = dict(os.environ); import drivers.lsl.plugin;"
        "assert 'pylsl' not in sys.modules, 'pylsl imported';"
        "assert dict(os.environ) == before, 'environment changed'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stream_type": None}, "set at least one of"),
        ({"name": "it's"}, "no quotes"),
        ({"source_id": " "}, "non-empty"),
        ({"channels": 2, "labels": ["Fp1"]}, "labels names 1 channels"),
        ({"labels": ["Fp1", "Fp1"]}, "unique"),
        ({"channel_format": "string"}, "channel_format"),
        ({"loss_after_s": 0}, "loss_after_s"),
        ({"stream": "EEG"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_options_are_refused_at_load(options, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        LslOptions.model_validate(options)


def test_selectors_become_the_lsl_query():
    from drivers.lsl.selection import predicate

    opts = LslOptions(name="obci_eeg1", source_id="openbcigui")
    assert predicate(opts.selectors()) == "type='EEG' and name='obci_eeg1' and source_id='openbcigui'"
    assert predicate(LslOptions(stream_type=None, hostname="lab-pc").selectors()) == "hostname='lab-pc'"
