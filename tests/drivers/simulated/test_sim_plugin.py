"""The simulated family is registered, typed and found like any other driver."""

from __future__ import annotations

import subprocess
import sys

import pydantic
import pytest

from agent.base.driver import Discovered, DriverPlugin, Registry
from drivers.simulated import plugin
from drivers.simulated.options import EIGHT_CHANNELS, MUSE_CHANNELS, ChestStrapOptions, EegOptions, GsrOptions

PLUGINS = {"sim-chest-strap": plugin.CHEST_STRAP, "sim-ecg": plugin.ECG, "sim-gsr": plugin.GSR, "sim-eeg": plugin.EEG}


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_entry_point_names_the_descriptor(name: str) -> None:
    assert Registry().plugin(name) is PLUGINS[name]


@pytest.mark.parametrize("name", sorted(PLUGINS))
async def test_descriptor_is_complete_and_loads(name: str) -> None:
    p: DriverPlugin = PLUGINS[name]
    assert p.name == name and p.extra is None and p.summary
    assert p.options.model_validate({}) == p.options()  # defaults alone are a valid config
    p.options.model_validate(dict(p.example))
    cls = p.load()
    assert cls.options is p.options
    found = await cls.discover(timeout_s=0.1)
    assert found == [
        Discovered(driver=name, name=found[0].name, address=f"sim:{name.removeprefix('sim-')}", details="simulated")
    ]


def test_descriptor_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, drivers.simulated.plugin as p; "
        "heavy = [m for m in ('scipy', 'bleak', 'serial', 'pylsl', 'drivers.simulated.device') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("options_cls", "bad"),
    [
        (ChestStrapOptions, {"sede": 1}),  # unknown keys are errors, not ignored
        (ChestStrapOptions, {"seed": -1}),
        (ChestStrapOptions, {"disconnect_every_s": 10.0, "disconnect_for_s": 10.0}),
        (ChestStrapOptions, {"faults": [{"kind": "meltdown", "at_s": 1.0, "duration_s": 1.0}]}),
        (ChestStrapOptions, {"faults": [{"kind": "dropout", "at_s": 1.0, "duration_s": 0.0}]}),
        (GsrOptions, {"rate_hz": 2.0}),
        (GsrOptions, {"rate_hz": 512.0}),
        (EegOptions, {"channels": ["TP9", "AF7", "AF8"]}),
        (EegOptions, {"channels": ["C3"] * 4}),
        (EegOptions, {"channels": [*EIGHT_CHANNELS, "Pz"]}),
    ],
)
def test_bad_options_are_rejected(options_cls: type[pydantic.BaseModel], bad: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        options_cls.model_validate(bad)


def test_eeg_channel_layouts() -> None:
    assert EegOptions().channels == MUSE_CHANNELS == ("TP9", "AF7", "AF8", "TP10")
    assert len(EegOptions(channels=EIGHT_CHANNELS).channels) == 8
