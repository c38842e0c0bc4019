"""Missing, corrupt and unrecognised recordings give typed errors that name the file."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.errors import ConfigError, DeviceError, DeviceNotFound
from drivers.replay.recording import RecordingUnreadable


async def test_missing_file_is_device_not_found_naming_it(tmp_path: Path, make_driver: Callable[..., Any]) -> None:
    missing = tmp_path / "S99_wrist.npz"
    with pytest.raises(DeviceNotFound, match="S99_wrist.npz"):
        async with make_driver(path=missing):
            pass


async def test_relative_path_is_resolved_in_the_data_root(data: Path, make_driver: Callable[..., Any]) -> None:
    with pytest.raises(DeviceNotFound, match=str(data / "wesad-wrist/S1_wrist.npz")):
        async with make_driver(path="wesad-wrist/S1_wrist.npz"):
            pass


async def test_garbage_npz_is_a_clear_config_error(tmp_path: Path, make_driver: Callable[..., Any]) -> None:
    bad = tmp_path / "S2_wrist.npz"
    bad.write_bytes(b"\x00not a zip archive at all\xff" * 10)
    with pytest.raises(RecordingUnreadable, match=r"S2_wrist\.npz: cannot tell which recording format"):
        async with make_driver(path=bad):
            pass
    with pytest.raises(RecordingUnreadable, match=r"S2_wrist\.npz: not a readable \.npz archive") as info:
        async with make_driver(path=bad, format="wesad-npz"):
            pass
    # retrying cannot mend a file: a config error, so the device stops instead of crash-looping
    assert isinstance(info.value, ConfigError) and not isinstance(info.value, DeviceError)
    assert info.value.path == bad


async def test_truncated_npz_member_names_file_and_array(
    tmp_path: Path, data: Path, make_driver: Callable[..., Any], play: Callable[..., Any]
) -> None:
    # a real WESAD archive whose bvp_64 member is cut short
    src = data / "wesad-wrist/S5_wrist.npz"
    bad = tmp_path / "S5_wrist.npz"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item)
            zout.writestr(item.filename, payload[: len(payload) // 2] if item.filename == "bvp_64.npy" else payload)
    with pytest.raises(RecordingUnreadable, match=r"S5_wrist\.npz: array 'bvp_64' is damaged"):
        async with make_driver(path=bad):
            pass
    # without bvp the rest of the archive is fine
    played = await play(path=bad, speed="max", streams=("eda",), duration_s=10)
    assert sum(map(len, played.chunks)) == 40


async def test_inconsistent_wesad_arrays_are_reported(tmp_path: Path, make_driver: Callable[..., Any]) -> None:
    bad = tmp_path / "S1_wrist.npz"
    n = 40
    np.savez(
        bad,
        subject="S1",
        fs=4,
        label=np.zeros(n, np.int8),
        eda=np.zeros(n, np.float32),
        temp=np.zeros(n - 1, np.float32),
        acc=np.zeros((n, 3), np.float32),
        bvp=np.zeros(n, np.float32),
        bvp_64=np.zeros(16 * n, np.float32),
    )
    with pytest.raises(RecordingUnreadable, match=r"S1_wrist\.npz: temp has shape \(39,\), expected \(40,\)"):
        async with make_driver(path=bad):
            pass


async def test_damaged_csv_row_names_the_file(tmp_path: Path, data: Path, make_driver: Callable[..., Any]) -> None:
    lines = (data / "muse-eeg/subjectd-concentrating-2.csv").read_text().splitlines()
    lines[100] = lines[100][:-9]  # a row cut mid-way, as a full disk leaves it
    bad = tmp_path / "cut.csv"
    bad.write_text("\n".join(lines))
    with pytest.raises(RecordingUnreadable, match=r"cut\.csv: not a numeric table"):
        async with make_driver(path=bad):
            pass


async def test_timestamps_going_backwards_are_reported(tmp_path: Path, make_driver: Callable[..., Any]) -> None:
    bad = tmp_path / "back.csv"
    bad.write_text("timestamps,TP9,AF7,AF8,TP10,Right AUX\n10.0,1,2,3,4,5\n9.0,1,2,3,4,5\n")
    with pytest.raises(RecordingUnreadable, match=r"back\.csv: not a valid muse-csv recording.*backwards"):
        async with make_driver(path=bad):
            pass


async def test_unknown_text_file_is_not_guessed(data: Path, make_driver: Callable[..., Any]) -> None:
    with pytest.raises(RecordingUnreadable, match="matches none of the known formats"):
        async with make_driver(path="rr-intervals/LICENSE_pyhrv_BSD3.txt"):
            pass


async def test_non_positive_rr_interval_is_reported(tmp_path: Path, make_driver: Callable[..., Any]) -> None:
    bad = tmp_path / "rr.txt"
    bad.write_text("800\n0\n790\n")
    with pytest.raises(RecordingUnreadable, match=r"rr\.txt: every interval must be a positive number of ms"):
        async with make_driver(path=bad):
            pass


async def test_unknown_stream_is_a_config_error_listing_what_exists(
    data: Path, make_driver: Callable[..., Any]
) -> None:
    with pytest.raises(ConfigError, match=r"no stream 'ecg'; it has eda, bvp, temp, acc, label") as info:
        async with make_driver(path="wesad-wrist/S5_wrist.npz", streams=("eda", "ecg")):
            pass
    assert info.value.field == "streams"


async def test_slice_past_the_end_is_a_config_error(data: Path, make_driver: Callable[..., Any]) -> None:
    with pytest.raises(ConfigError, match="no samples between 400.0 s"):
        async with make_driver(path="rr-intervals/pyhrv_SampleNNISeriesShort.npy", start_s=400):
            pass


def test_chunks_before_connecting_is_a_clear_error(make_driver: Callable[..., Any]) -> None:
    driver = make_driver(path="rr-intervals/pyhrv_SampleNNISeriesShort.npy")
    with pytest.raises(RuntimeError, match="not connected"):
        driver.chunks()
