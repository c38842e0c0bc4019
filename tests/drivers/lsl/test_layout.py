"""Channel names, units and shape checks: pure rules over a stream's header."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.base.stream import Modality
from agent.errors import ConfigError
from drivers.lsl.layout import MUSE_LABELS, StreamHeader, build_layout, check_shape


def header(
    name: str = "X", n: int = 4, *, type_: str = "EEG", source_id: str = "", fmt: int = 1, rate: float = 256.0
) -> StreamHeader:
    return StreamHeader(name, type_, source_id, "host", n, fmt, rate)


def test_description_labels_win_over_fallbacks():
    layout = build_layout(header("Muse", 5), labels=list(MUSE_LABELS[::-1]), units=["microvolts"] * 5)
    assert layout.spec.channels == MUSE_LABELS[::-1]
    assert (layout.labels_from, layout.scale) == ("description", None)


@pytest.mark.parametrize(
    ("hdr", "channels", "source"),
    [
        (header("Muse", 5), MUSE_LABELS, "muse"),
        (header("Muse-7042 (00:55:da:b0:70:42)", 4), MUSE_LABELS[:4], "muse"),  # BlueMuse-style name
        (header("EEG", 5, source_id="Muse00:55:DA:B0:12:34"), MUSE_LABELS, "muse"),
        (header("obci_eeg1", 8), tuple(f"ch{i}" for i in range(1, 9)), "openbci"),
        (header("Muse", 8), tuple(f"ch{i}" for i in range(1, 9)), "generic"),  # not a Muse layout
        (header("Other", 2), ("ch1", "ch2"), "generic"),
    ],
)
def test_known_devices_fall_back_to_their_fixed_layouts(hdr, channels, source):
    layout = build_layout(hdr, labels=None, units=None)
    assert (layout.spec.channels, layout.labels_from) == (channels, source)


@pytest.mark.parametrize(
    "labels",
    [["TP9", "AF7", None, "TP10", "Right AUX"], ["TP9", "AF7"], ["a", "a", "b", "c", "d"], [" ", "a", "b", "c", "d"]],
)
def test_incomplete_or_ambiguous_descriptions_are_not_trusted(labels):
    assert build_layout(header("Muse", 5), labels=labels, units=None).spec.channels == MUSE_LABELS


def test_options_name_the_channels_when_the_device_cannot():
    layout = build_layout(header("obci_eeg1", 2), labels=["1", "2"], units=None, label_override=["F3", "F4"])
    assert (layout.spec.channels, layout.labels_from) == (("F3", "F4"), "options")
    with pytest.raises(ConfigError, match="names 3 channels"):
        build_layout(header("obci_eeg1", 2), labels=None, units=None, label_override=["F3", "F4", "Cz"])


def test_voltage_units_are_converted_to_microvolts():
    layout = build_layout(header(n=4), labels=None, units=["microvolts", "mV", "volts", "nanovolts"])
    assert layout.spec.unit == "µV"
    np.testing.assert_array_equal(layout.scale, np.array([1.0, 1e3, 1e6, 1e-3], dtype=np.float32))
    # Missing or unknown units on EEG are taken as µV, what every EEG source we know sends.
    assert build_layout(header(n=2), labels=None, units=["", "furlongs"]).scale is None


def test_the_stream_type_picks_the_modality_and_non_voltage_units_pass_through():
    acc = build_layout(header("Muse", 3, type_="ACC", rate=52.0), labels=["X", "Y", "Z"], units=["g"] * 3)
    assert (acc.spec.name, acc.spec.modality, acc.spec.unit, acc.scale) == ("acc", Modality.ACC, "g", None)
    markers = build_layout(header("M", 1, type_="Markers", rate=0.0), labels=None, units=None)
    assert (markers.spec.name, markers.spec.modality, markers.spec.rate_hz) == ("markers", Modality.OTHER, None)


@pytest.mark.parametrize(
    ("hdr", "channels", "fmt", "message"),
    [
        (header(n=5), 8, None, "has 5 channels, the options say 8"),
        (header(fmt=3), None, None, "carries string values"),
        (header(fmt=5), None, "float32", "sends int16, the options say float32"),
        (header(fmt=99), None, None, r"carries unknown\(99\) values"),
    ],
)
def test_shape_mismatches_are_config_errors_that_name_the_stream(hdr, channels, fmt, message):
    with pytest.raises(ConfigError, match=message) as err:
        check_shape(hdr, channels=channels, channel_format=fmt)
    assert "'X'" in str(err.value)


def test_matching_shapes_pass():
    check_shape(header(n=5, fmt=5), channels=5, channel_format="int16")
    check_shape(header(n=5), channels=None, channel_format=None)


@given(
    n=st.integers(1, 12),
    labels=st.none() | st.lists(st.none() | st.text(max_size=6), max_size=14),
    name=st.sampled_from(["Muse", "obci_eeg2", "SimEEG", ""]),
)
def test_every_stream_gets_unique_names_from_its_description_when_that_is_complete(n, labels, name):
    layout = build_layout(header(name, n), labels=labels, units=None)
    names = layout.spec.channels
    assert len(names) == n and len(set(names)) == n and all(names)
    complete = (
        labels is not None
        and len(labels) == n
        and all(v and v.strip() for v in labels)
        and len({v.strip() for v in labels}) == n  # type: ignore[union-attr]
    )
    assert (layout.labels_from == "description") == complete
    if complete:
        assert names == tuple(v.strip() for v in labels)  # type: ignore[union-attr]
