"""Choosing the stream, and refusing the wrong one with a clear error."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError, DeviceNotFound
from drivers.lsl.driver import LslDriver
from tests.drivers.lsl.outlets import unique
from tests.drivers.lsl.streams import chunks_of, lsl_driver, read_until


@pytest.mark.parametrize(
    ("outlet_args", "options", "message"),
    [
        (["--file", "subjecta-relaxed-1"], {"channels": 8}, "has 5 channels, the options say 8"),
        (["--channels", "2", "--format", "string"], {}, "carries string values, not numeric samples"),
        (
            ["--channels", "2", "--format", "int16"],
            {"channel_format": "float32"},
            "sends int16, the options say float32",
        ),
        (["--channels", "3"], {"labels": ["Fp1", "Fp2"]}, "`labels` names 2 channels"),
    ],
)
async def test_a_stream_that_is_not_what_the_options_say_is_a_config_error(outlets, outlet_args, options, message):
    sid = unique("shape")
    outlets(*outlet_args, "--source-id", sid)
    driver = lsl_driver(source_id=sid, **options)
    with pytest.raises(ConfigError, match=message) as err:
        async with driver:
            pass
    assert sid in str(err.value), "the message names the stream"


async def test_no_such_stream_is_device_not_found():
    with pytest.raises(DeviceNotFound, match="no LSL stream matches"):
        async with lsl_driver(source_id=unique("absent"), resolve_timeout_s=0.3):
            pass


async def test_openbci_streams_share_a_source_id_so_the_name_chooses(outlets):
    gui = unique("openbcigui")  # OpenBCI GUI gives every stream the same source_id
    outlets("--name", "obci_eeg1", "--channels", "8", "--no-labels", "--source-id", gui)
    outlets("--name", "obci_eeg2", "--channels", "4", "--no-labels", "--source-id", gui, "--seed", "2")
    with pytest.raises(ConfigError, match="select by name") as err:
        async with lsl_driver(source_id=gui):
            pass
    assert "obci_eeg1" in str(err.value) and "obci_eeg2" in str(err.value)

    async with lsl_driver(source_id=gui, name="obci_eeg2") as driver:
        items = await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 2)
    # The GUI sends no montage: its own channel numbers, unless the options name them.
    assert chunks_of(items)[0].spec.channels == ("ch1", "ch2", "ch3", "ch4")

    montage = ("F3", "F4", "C3", "C4")
    async with lsl_driver(source_id=gui, name="obci_eeg2", labels=montage) as driver:
        items = await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 1)
    assert chunks_of(items)[0].spec.channels == montage


async def test_discover_lists_the_eeg_streams_visible_now(outlets):
    eeg, acc = unique("disc-eeg"), unique("disc-acc")
    outlets("--channels", "2", "--source-id", eeg, "--name", "DiscoverMe")
    outlets("--channels", "3", "--source-id", acc, "--type", "ACC")
    found = await LslDriver.discover(timeout_s=1.0)
    mine = [d for d in found if d.address in (eeg, acc)]
    assert [(d.driver, d.name, d.address) for d in mine] == [("lsl", "DiscoverMe", eeg)]
    assert "2 × float32 at 256 Hz" in mine[0].details
