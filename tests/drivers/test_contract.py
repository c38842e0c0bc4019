"""The driver contract, checked against every driver registered in this environment.

Drivers are discovered exactly as the agent discovers them (the
``edge_agent.drivers`` entry-point group), so a third-party plugin installed
here is held to the same contract.
"""

from __future__ import annotations

import inspect
from importlib import metadata

import pydantic
import pytest

from agent.base.clock import Clock
from agent.base.driver import Driver, DriverContext, DriverOptions, DriverPlugin, Registry, bound_logger

REGISTRY = Registry()
NAMES = REGISTRY.names()
EXTRAS = set(metadata.metadata("vr-edge-agent").get_all("Provides-Extra") or [])


def test_the_built_in_families_are_registered():
    assert {"sim-chest-strap", "sim-ecg", "sim-gsr", "sim-eeg", "replay"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_descriptor_is_light_and_typed(name):
    plugin = REGISTRY.plugin(name)
    assert isinstance(plugin, DriverPlugin) and plugin.name == name
    assert plugin.summary
    assert issubclass(plugin.options, DriverOptions)
    assert plugin.options.model_config.get("extra") == "forbid"
    assert plugin.extra is None or plugin.extra in EXTRAS
    plugin.options.model_validate(dict(plugin.example))  # the documented example is valid
    with pytest.raises(pydantic.ValidationError):
        plugin.options.model_validate({**plugin.example, "no_such_option_xyz": 1})


@pytest.mark.parametrize("name", NAMES)
def test_driver_class_honours_the_contract(name):
    plugin = REGISTRY.plugin(name)
    cls = plugin.load()  # everything is installed in the test environment
    assert cls.options is plugin.options
    assert inspect.iscoroutinefunction(cls.discover)
    options = plugin.options.model_validate(dict(plugin.example))
    driver = cls(options, DriverContext(f"contract-{name}", Clock(), bound_logger(f"contract-{name}")))
    assert isinstance(driver, Driver)  # async context + chunks(); constructing it connects nothing
