"""The BLE plugin descriptors, their typed options, and lazy loading."""

import subprocess
import sys

import pydantic
import pytest

from agent.base.driver import Registry
from drivers.ble.options import HeartRateOptions, PolarH10Options
from drivers.ble.plugin import HEART_RATE, POLAR_H10


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_the_descriptors_import_nothing_heavy() -> None:
    out = run_python(
        "import sys, drivers.ble.plugin; print(sorted({m.split('.')[0] for m in sys.modules} & {'bleak', 'dbus_fast', 'scipy'}))"
    )
    assert out == "[]"


def test_a_missing_bleak_makes_the_driver_unavailable_and_names_the_extra() -> None:
    out = run_python(
        "import sys; sys.modules['bleak'] = None\n"
        "from agent.errors import DriverUnavailable\n"
        "from drivers.ble.plugin import POLAR_H10\n"
        "try:\n    POLAR_H10.load()\nexcept DriverUnavailable as e:\n    print(e.extra, e.driver)"
    )
    assert out == "ble polar-h10"


@pytest.mark.parametrize("plugin", [HEART_RATE, POLAR_H10])
def test_entry_points_examples_and_driver_classes(plugin) -> None:  # type: ignore[no-untyped-def]
    assert Registry().plugin(plugin.name) is plugin
    plugin.options(**plugin.example)
    cls = plugin.load()
    assert cls.options is plugin.options
    assert callable(cls.discover) and hasattr(cls, "chunks") and hasattr(cls, "__aenter__")


def test_options_are_checked_once_at_startup() -> None:
    assert HeartRateOptions(address="c4-7c-8d-6a-11-22").address == "C4:7C:8D:6A:11:22"
    for bad in (
        {},
        {"address": "C4:7C:8D:6A:11:22", "name": "TICKR"},
        {"address": "C4:7C:8D"},
        {"name": "x", "adapter": "usb0"},
        {"name": "x", "colour": "red"},
        {"name": "x", "connect_attempts": 0},
    ):
        with pytest.raises(pydantic.ValidationError):
            HeartRateOptions(**bad)
    with pytest.raises(pydantic.ValidationError, match="at least one"):
        PolarH10Options(name="Polar H10 1", ecg=False, acc=False, heart_rate=False)
    with pytest.raises(pydantic.ValidationError):
        PolarH10Options(name="Polar H10 1", acc_rate_hz=300)
