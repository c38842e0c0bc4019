"""EEGMAT (PhysioNet eegmat) ``SubjectNN.npz``: rest, then mental arithmetic.

``rest`` and ``task`` are int16 (n, 7) at ``fs`` (500 Hz) with their own
per-channel ``X_scale``/``X_offset`` to physical units. They are played back
to back: the archive does not record the pause between the two EDF files,
so none is invented. Streams: ``eeg`` (the EEG channels, µV), ``ecg`` (the
ECG lead, converted from mV to µV like every ECG stream) and ``label`` at
1 Hz (:data:`SEGMENTS`: 0 rest, 1 task).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, npz, numbers, rate, texts
from drivers.replay.formats.sniff import Sniff
from drivers.replay.recording import StreamSelection, Track

NAME = "eegmat-npz"
SUMMARY = "EEGMAT .npz (6 EEG channels + ECG at 500 Hz, rest then task, segment label)"
SEGMENTS = ("rest", "task")
_KEYS = ("fs", "channels", "units", *(f"{s}{k}" for s in SEGMENTS for k in ("", "_scale", "_offset")))
_TO_UV = {"uV": 1.0, "µV": 1.0, "mV": 1000.0}
LABEL_HZ = 1.0


def matches(s: Sniff) -> bool:
    return s.suffix == ".npz" and {"rest", "task", "channels"} <= s.names


def _physical(z: np.lib.npyio.NpzFile, path: Path, segment: str, width: int) -> np.ndarray:
    raw = numbers(z, path, segment, ndim=2)
    scale, offset = numbers(z, path, f"{segment}_scale", ndim=1), numbers(z, path, f"{segment}_offset", ndim=1)
    check(
        path,
        raw.shape[1] == width and scale.shape == offset.shape == (width,),
        f"{segment} has shape {raw.shape} with scale {scale.shape} and offset {offset.shape};"
        f" expected {width} channels",
    )
    return np.asarray(raw * scale + offset, dtype=np.float32)


def load(path: Path, select: StreamSelection) -> list[Track]:
    with npz(path, _KEYS) as z:
        fs = rate(z, path, "fs")
        channels, units = texts(z, path, "channels"), texts(z, path, "units")
        check(
            path,
            0 < len(channels) == len(units) and all(u in _TO_UV for u in units),
            f"fs {fs}, channels {channels} and units {units} do not describe the columns",
        )
        is_ecg = np.array([c.upper() == "ECG" for c in channels])
        names = ("eeg", "ecg", "label") if is_ecg.any() else ("eeg", "label")
        wants = {name: select.wants(name) for name in names}
        if not any(wants.values()):
            return []
        segments = [_physical(z, path, s, len(channels)) for s in SEGMENTS]
    data = np.concatenate(segments) * np.asarray([_TO_UV[u] for u in units], dtype=np.float32)
    tracks = []
    if wants["eeg"]:
        spec = StreamSpec(
            "eeg", Modality.EEG, tuple(c for c, e in zip(channels, is_ecg, strict=True) if not e), "µV", fs
        )
        tracks.append(Track(spec, data[:, ~is_ecg]))
    if wants.get("ecg"):
        spec = StreamSpec("ecg", Modality.ECG, tuple(c for c, e in zip(channels, is_ecg, strict=True) if e), "µV", fs)
        tracks.append(Track(spec, data[:, is_ecg]))
    if wants["label"]:
        rest_s = segments[0].shape[0] / fs
        n = math.ceil(data.shape[0] / fs * LABEL_HZ)
        label = (np.arange(n) / LABEL_HZ >= rest_s).astype(np.float32)
        tracks.append(Track(StreamSpec("label", Modality.OTHER, ("segment",), "code", LABEL_HZ), label))
    return tracks
