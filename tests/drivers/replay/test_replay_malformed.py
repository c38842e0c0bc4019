"""Malformed recordings raise only RecordingUnreadable, naming the file and the reason.

Each case was once a TypeError, UFuncTypeError, TokenError or
NotImplementedError that surfaced as ``driver_crashed`` on every retry.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.errors import ConfigError, DeviceError, RecordingUnreadable
from drivers.replay.formats import find_recordings, open_recording
from tools.fuzz.mutate import corrupt
from tools.fuzz.recordings import open_corrupted, seeds

N = 40


def _wesad(path: Path, **over: Any) -> Path:
    arrays: dict[str, Any] = {
        "fs": 4,
        "label": np.zeros(N, np.int8),
        "eda": np.zeros(N, np.float32),
        "temp": np.zeros(N, np.float32),
        "acc": np.zeros((N, 3), np.float32),
        "bvp_64": np.zeros(16 * N, np.float32),
    }
    np.savez(path, **(arrays | over))
    return path


def _eegmat(path: Path, **over: Any) -> Path:
    arrays: dict[str, Any] = {
        "fs": 500.0,
        "channels": np.array(["Fp1", "ECG"]),
        "units": np.array(["uV", "mV"]),
        **{f"{s}": np.zeros((N, 2), np.int16) for s in ("rest", "task")},
        **{f"{s}_scale": np.ones(2) for s in ("rest", "task")},
        **{f"{s}_offset": np.zeros(2) for s in ("rest", "task")},
    }
    np.savez(path, **(arrays | over))
    return path


def _unreadable(path: Path, match: str) -> RecordingUnreadable:
    with pytest.raises(RecordingUnreadable, match=match) as info:
        open_recording(path, "auto", None)
    assert info.value.path == path and str(path) in str(info.value)
    return info.value


def test_recording_unreadable_is_a_config_error_not_a_device_fault(tmp_path: Path) -> None:
    error = _unreadable(_wesad(tmp_path / "S1_wrist.npz", fs=np.array([4, 4])), "fs should be one number")
    assert isinstance(error, ConfigError) and not isinstance(error, DeviceError)
    assert error.field == "path" and error.source == str(tmp_path / "S1_wrist.npz")


@pytest.mark.parametrize("make", [_wesad, _eegmat], ids=["wesad", "eegmat"])
def test_fs_as_an_array(tmp_path: Path, make: Any) -> None:
    name = "S1_wrist.npz" if make is _wesad else "Subject00.npz"
    _unreadable(make(tmp_path / name, fs=np.array([4.0, 4.0])), r"fs should be one number, got float64 \(2,\)")


@pytest.mark.parametrize("fs", [float("inf"), float("nan"), 0.0])
def test_fs_not_a_finite_positive_rate(tmp_path: Path, fs: float) -> None:
    _unreadable(_wesad(tmp_path / "S1_wrist.npz", fs=fs), "fs must be a finite rate > 0")


@pytest.mark.parametrize("key", ["channels", "units"])
def test_zero_dimensional_channels_or_units(tmp_path: Path, key: str) -> None:
    value = np.array("Fp1") if key == "channels" else np.array("uV")
    _unreadable(_eegmat(tmp_path / "Subject00.npz", **{key: value}), f"{key} should be a 1-D array of text")


def test_string_samples(tmp_path: Path) -> None:
    _unreadable(_eegmat(tmp_path / "Subject00.npz", rest=np.full((N, 2), "a")), "rest should be a 2-D numeric array")
    _unreadable(_wesad(tmp_path / "S1_wrist.npz", eda=np.full(N, "a")), "eda should be a 1-D numeric array")


def test_zero_dimensional_label(tmp_path: Path) -> None:
    _unreadable(_wesad(tmp_path / "S1_wrist.npz", label=np.int8(1)), "label should be a 1-D numeric array")


def test_samples_beyond_float32_are_refused_not_inf(tmp_path: Path) -> None:
    _unreadable(_wesad(tmp_path / "S1_wrist.npz", eda=np.full(N, 1e300)), "FloatingPointError")


def test_complex_rr_intervals(tmp_path: Path) -> None:
    path = tmp_path / "nn.npy"
    np.save(path, np.array([800 + 1j, 810]))
    _unreadable(path, "expected a 1-D numeric array of ms")


def test_broken_npy_header(tmp_path: Path) -> None:
    out = io.BytesIO()
    np.save(out, np.array([800.0, 810.0]))
    raw = bytearray(out.getvalue())
    raw[raw.index(b"{") : raw.index(b"{") + 10] = b"{'descr'(("  # the header dict never closes
    path = tmp_path / "nn.npy"
    path.write_bytes(bytes(raw))
    _unreadable(path, "not a readable .npy array")


def _zip_with_version(path: Path, version: int) -> Path:
    """An archive whose central directory needs a newer zip than Python reads."""
    _wesad(path)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        raw[at + 6 : at + 8] = version.to_bytes(2, "little")  # version needed to extract
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


def test_zip_version_python_cannot_read(tmp_path: Path) -> None:
    path = _zip_with_version(tmp_path / "S1_wrist.npz", 99)
    _unreadable(path, "cannot tell which recording format.*NotImplementedError")
    with pytest.raises(RecordingUnreadable, match="not a readable .npz archive.*NotImplementedError"):
        open_recording(path, "wesad-npz", None)
    assert find_recordings(tmp_path) == []  # the library scan passes over it


def test_unsupported_compression_in_a_member(tmp_path: Path) -> None:
    path = _wesad(tmp_path / "S1_wrist.npz")
    raw = bytearray(path.read_bytes())
    for magic, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method, in local and central headers
        at = raw.find(magic)
        while at >= 0:
            raw[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            at = raw.find(magic, at + 4)
    path.write_bytes(bytes(raw))
    _unreadable(path, "NotImplementedError")


def test_encrypted_member(tmp_path: Path) -> None:
    path = _wesad(tmp_path / "S1_wrist.npz")
    raw = bytearray(path.read_bytes())
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flag bit 0
        at = raw.find(magic)
        while at >= 0:
            raw[at + offset] |= 1
            at = raw.find(magic, at + 4)
    path.write_bytes(bytes(raw))
    _unreadable(path, "RuntimeError")


@pytest.mark.parametrize("name", sorted(seeds()))
def test_every_seed_is_a_valid_recording(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(seeds()[name])
    assert any(len(t) for t in open_recording(path, "auto", None))


_SEEDS = seeds()


@pytest.mark.filterwarnings("ignore:Reading `.npy` or `.npz` file required additional header parsing")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(_SEEDS)), seed=st.integers(0, 2**32 - 1))
def test_corrupted_recordings_raise_only_contract_errors(tmp_path: Path, name: str, seed: int) -> None:
    open_corrupted(tmp_path, name, corrupt(_SEEDS[name], random.Random(seed)))


def test_archive_members_swapped_for_text(tmp_path: Path) -> None:
    path = _wesad(tmp_path / "S1_wrist.npz")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("extra.npy", b"\x93NUMPY garbage")
    open_recording(path, "auto", None)  # an unused damaged member does not matter
