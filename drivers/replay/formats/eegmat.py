"""EEGMAT (PhysioNet eegmat) ``SubjectNN.npz``: rest, then mental arithmetic.

``rest`` and ``task`` are int16 (n, 7) at ``fs`` (500 Hz) with their own
per-channel ``X_scale``/``X_offset`` to physical units. They are played back
to back: the archive does not record the pause between the two EDF files,
so none is invented. Nor is the padding at the end of each file played
(:func:`unpadded`): the last two seconds of every segment of every subject
hold all seven channels still, a flatline that would read as electrodes and
strap coming off at once just as the task begins. Streams: ``eeg`` (the EEG
channels, µV), ``ecg`` (the ECG lead, converted from mV to µV like every ECG
stream) and ``label`` (:data:`SEGMENTS`: 0 rest, 1 task), one value at the
start of each segment.
"""

from __future__ import annotations

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
# Six EEG channels and an ECG never all hold one value for this long while they record: the EDF files' last
# data records do, for about 1 s and then again (182-s files of the 180-s rest, 62 s of the 60-s task)
PADDING_MIN_S = 0.1


def matches(s: Sniff) -> bool:
    return s.suffix == ".npz" and {"rest", "task", "channels"} <= s.names


def unpadded(raw: np.ndarray, min_run: int) -> np.ndarray:
    """``raw`` without the stretches at its end where every channel holds one value for ``min_run`` rows or more.

    A segment that holds still throughout is kept whole: that is a dead recording, for the quality gate to say.
    """
    moves = np.flatnonzero((raw[1:] != raw[:-1]).any(axis=1))  # row i + 1 differs from row i
    end = raw.shape[0]
    while True:
        before = moves[moves < end - 1]  # the last change before the end: the rows after it hold still
        start = int(before[-1]) + 1 if before.size else 0
        if start == 0:
            return raw  # still from its first row: a dead recording, kept whole
        if end - start < min_run:
            return raw[:end]
        end = start


def _physical(z: np.lib.npyio.NpzFile, path: Path, segment: str, width: int, fs: float) -> np.ndarray:
    raw = numbers(z, path, segment, ndim=2)
    raw = unpadded(raw, max(2, round(PADDING_MIN_S * fs)))
    scale, offset = numbers(z, path, f"{segment}_scale", ndim=1), numbers(z, path, f"{segment}_offset", ndim=1)
    check(
        path,
        raw.shape[1] == width and scale.shape == offset.shape == (width,),
        f"{segment} has shape {raw.shape} with scale {scale.shape} and offset {offset.shape};"
        f" expected {width} channels",
    )
    return np.asarray(raw * scale + offset, dtype=np.float32)


def _header(z: np.lib.npyio.NpzFile, path: Path) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    fs = rate(z, path, "fs")
    channels, units = texts(z, path, "channels"), texts(z, path, "units")
    check(
        path,
        0 < len(channels) == len(units) and all(u in _TO_UV for u in units),
        f"fs {fs}, channels {channels} and units {units} do not describe the columns",
    )
    return fs, channels, units


def _segments(z: np.lib.npyio.NpzFile, path: Path, fs: float, units: tuple[str, ...]) -> list[np.ndarray]:
    to_uv = np.asarray([_TO_UV[u] for u in units], dtype=np.float32)
    return [_physical(z, path, s, len(units), fs) * to_uv for s in SEGMENTS]


def segments(path: Path) -> tuple[float, tuple[str, ...], list[np.ndarray]]:
    """The rate, the channel names, and each of :data:`SEGMENTS` in µV without its padding, as replay plays
    them (for analyses that must not run a filter across the join)."""
    with npz(path, _KEYS) as z:
        fs, channels, units = _header(z, path)
        return fs, channels, _segments(z, path, fs, units)


def load(path: Path, select: StreamSelection) -> list[Track]:
    with npz(path, _KEYS) as z:
        fs, channels, units = _header(z, path)
        is_ecg = np.array([c.upper() == "ECG" for c in channels])
        names = ("eeg", "ecg", "label") if is_ecg.any() else ("eeg", "label")
        wants = {name: select.wants(name) for name in names}
        if not any(wants.values()):
            return []
        parts = _segments(z, path, fs, units)
    data = np.concatenate(parts)
    tracks = []
    if wants["eeg"]:
        spec = StreamSpec(
            "eeg", Modality.EEG, tuple(c for c, e in zip(channels, is_ecg, strict=True) if not e), "µV", fs
        )
        tracks.append(Track(spec, data[:, ~is_ecg]))
    if wants.get("ecg"):
        spec = StreamSpec("ecg", Modality.ECG, tuple(c for c, e in zip(channels, is_ecg, strict=True) if e), "µV", fs)
        tracks.append(Track(spec, data[:, is_ecg]))
    if wants["label"]:  # at the segments' exact start: a rest of 180.02 s is not rounded to a second
        starts = np.array([0.0, parts[0].shape[0] / fs])
        spec = StreamSpec("label", Modality.OTHER, ("segment",), "code", None)
        tracks.append(Track(spec, np.arange(len(SEGMENTS), dtype=np.float32), times_s=starts))
    return tracks
