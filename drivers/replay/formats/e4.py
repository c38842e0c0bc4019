"""Empatica E4 session folders (Stress-Predict ``raw/SXX/``).

Each ``NAME.csv`` starts with the session start (unix s) and the sample rate
(repeated per column for ACC), then the samples. ``IBI.csv`` starts with
``t0, IBI`` and holds (seconds since t0, interval in s) per detected beat,
with gaps where the PPG was unusable: it becomes the ``rr`` stream, whose
seq jumps over the intervals that would have fitted in each gap.

``HR.csv`` and ``IBI.csv`` are what Empatica's software derived from the
pulse (``BVP.csv``), offline: they are loaded only when named in the stream
selection, and one that is empty or damaged stops only a replay that names
it. The agent finds its own beats in the pulse, as for every wrist sensor it
supports and as the model was trained (``models/datasets.py``); left in, the
vendor's intervals would compete with those beats for the cardiac group (the
better quality wins), and ``edge-agent replay`` would decide a Stress-Predict
folder from inputs no training row had.

No feature uses the skin temperature (``TEMP.csv``): it is loaded, but a
damaged one is left out, with a warning, unless the replay names it.

Offsets count from the earliest file start (HR starts 10 s after the rest,
as the E4 averages it over 10 s); ``device_t`` is unix time. When the
dataset's ``labels_1hz.csv`` sits two folders up and lists this participant,
its stress label (1 = stress task, 0 = baseline or relax) is the ``label`` stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import structlog

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, lines, table
from drivers.replay.formats.sniff import Sniff, is_number
from drivers.replay.recording import RecordingUnreadable, StreamSelection, Track, seq_from_times

NAME = "e4-folder"
SUMMARY = "Empatica E4 export folder (Stress-Predict raw/SXX: EDA, BVP, HR, ACC, TEMP, IBI)"
E4_ACC_PER_G = 64.0

# stream name, file, modality, channels, unit, divisor to the unit
_SIGNALS = (
    ("eda", "EDA.csv", Modality.EDA, ("eda",), "µS", 1.0),
    ("bvp", "BVP.csv", Modality.PPG, ("bvp",), "a.u.", 1.0),
    ("hr", "HR.csv", Modality.HR, ("hr",), "bpm", 1.0),
    ("acc", "ACC.csv", Modality.ACC, ("x", "y", "z"), "g", E4_ACC_PER_G),
    ("temp", "TEMP.csv", Modality.TEMP, ("temp",), "°C", 1.0),
)
_DERIVED = frozenset({"hr", "rr"})  # the vendor's, from the pulse: loaded only when named
_SPARE = frozenset({"temp"})  # no feature uses it: a damaged one stops only a replay that names it
_FILES = frozenset(f for _, f, *_ in _SIGNALS) | {"IBI.csv"}
_LABELS = "labels_1hz.csv"
T = TypeVar("T")
log = structlog.get_logger("edge_agent.replay")


def matches(s: Sniff) -> bool:
    return s.is_dir and len(_FILES & s.names) >= 2


def _header(path: Path, columns: int) -> tuple[float, float]:
    """(start unix s, rate Hz) from a signal file's first two rows."""
    first, second = (row.split(",") for row in lines(path, 2))
    check(
        path,
        len(first) == columns and len(second) == columns and all(map(is_number, first + second)),
        f"the first two rows should be {columns} start time(s) and {columns} sample rate(s)",
    )
    start, rate = float(first[0]), float(second[0])
    check(path, rate > 0, f"sample rate must be > 0, got {rate}")
    return start, rate


def _ibi_start(path: Path) -> float:
    first = lines(path, 1)[0].split(",")
    check(path, len(first) == 2 and is_number(first[0]), "the first row should be 't0, IBI'")
    return float(first[0])


def _readable(needed: bool, read: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``read(*args, **kwargs)``; for a file this replay can do without, None when it is unreadable. The
    vendor's ``HR.csv`` and ``IBI.csv`` are not loaded by default, and the skin temperature is loaded but
    used by no feature: one that is empty or damaged must not stop a replay of the signals the agent uses.
    A readable header still counts towards the session origin."""
    try:
        return read(*args, **kwargs)
    except RecordingUnreadable:
        if needed:
            raise
        return None


def load(path: Path, select: StreamSelection) -> list[Track]:
    present = [s for s in _SIGNALS if (path / s[1]).exists()]
    wanted = {name: select.wants(name, on_request=name in _DERIVED) for name, *_ in present}
    needed = {name: wanted[name] and (name not in _SPARE or select.names(name)) for name in wanted}
    starts = {}
    for name, file, _, channels, *_ in present:
        start = _readable(needed[name], _header, path / file, len(channels))
        if start is not None:
            starts[file] = start
    ibi = path / "IBI.csv"
    want_rr = ibi.exists() and select.wants("rr", on_request=True)
    ibi_t0 = _readable(want_rr, _ibi_start, ibi) if ibi.exists() else None
    candidates = [s for s, _ in starts.values()] + ([ibi_t0] if ibi_t0 is not None else [])
    if not candidates:
        raise RecordingUnreadable(path, f"an E4 folder should hold some of {', '.join(sorted(_FILES))}")
    origin = min(candidates)

    tracks = []
    for name, file, modality, channels, unit, divisor in present:
        if not wanted[name]:
            continue
        data = None
        if file in starts:
            data = _readable(needed[name], table, path / file, skiprows=2, columns=len(channels))
        if data is None:  # only a spare stream's file gets here; a needed one has raised
            log.warning("replay.file_left_out", file=str(path / file), why="unreadable, and no feature uses it")
            continue
        start, rate = starts[file]
        data = data / divisor
        spec = StreamSpec(name, modality, channels, unit, rate)
        tracks.append(Track(spec, data, start_s=start - origin, device_origin=origin))
    if want_rr and ibi_t0 is not None:
        tracks.append(_rr_track(ibi, ibi_t0 - origin, origin))
    labels = path.parent.parent / _LABELS
    participant = re.fullmatch(r"S(\d+)", path.name)
    if labels.exists() and participant:
        track = _label_track(labels, int(participant.group(1)), origin)
        if track is not None and select.wants("label"):
            tracks.append(track)
    return tracks


def _rr_track(path: Path, start_s: float, origin: float) -> Track:
    data = table(path, skiprows=1, columns=2)
    beat_s, rr_s = data[:, 0], data[:, 1]
    check(path, bool(np.all(rr_s > 0)), "every interval must be > 0 s")
    check(path, bool(np.all(np.diff(beat_s) > 0)), "beat times must increase")
    spec = StreamSpec("rr", Modality.RR, ("rr",), "s", None)
    return Track(spec, rr_s, times_s=start_s + beat_s, seq=rr_seq(beat_s, rr_s), device_origin=origin)


def rr_seq(beat_s: np.ndarray, rr_s: np.ndarray) -> np.ndarray | None:
    """Beat indices for intervals that end at ``beat_s``; None when none are missing.

    Each interval should start at the previous beat. Where it starts later
    (by more than half a beat), intervals are missing: as many as would fit
    in the untiled span at the current interval, at least one.
    """
    untiled = (beat_s[1:] - rr_s[1:]) - beat_s[:-1]
    gap = untiled > 0.5 * rr_s[1:]
    if not gap.any():
        return None
    steps = np.ones(untiled.shape[0], dtype=np.int64)
    steps[gap] = 1 + np.maximum(1, np.rint(untiled[gap] / rr_s[1:][gap])).astype(np.int64)
    return np.concatenate(([0], np.cumsum(steps)))


def _label_track(path: Path, participant: int, origin: float) -> Track | None:
    data = table(path, skiprows=1, columns=3, usecols=(0, 3, 4))
    rows = data[data[:, 0] == participant]
    if not rows.shape[0]:
        return None
    times = rows[:, 1] - origin
    spec = StreamSpec("label", Modality.OTHER, ("stress",), "code", 1.0)
    return Track(spec, rows[:, 2], times_s=times, seq=seq_from_times(times, 1.0), device_origin=origin)
