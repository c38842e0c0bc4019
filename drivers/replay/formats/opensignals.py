"""BITalino OpenSignals text exports (``# OpenSignals Text File Format``).

The header's JSON gives the sampling rate, the columns (``nSeq``, digital
I/O, then the analog channels ``A1``..``A6``), each column's ADC resolution
and the sensor on each channel. ECG channels become an ``ecg`` stream in µV
through the BITalino ECG sensor's transfer function; any other analog
channel is played as raw ADC counts (Modality.OTHER). ``nSeq`` is a 4-bit
sample counter: a jump in it is a gap (it can only show gaps of under 16
samples; longer ones look like a shorter gap).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, has_rows, require
from drivers.replay.formats.sniff import Sniff
from drivers.replay.recording import RecordingUnreadable, StreamSelection, Track

NAME = "opensignals-txt"
SUMMARY = "BITalino OpenSignals text export (ECG at up to 1000 Hz, nSeq counter)"
_MAGIC = "# OpenSignals Text File Format"
_NSEQ_WRAP = 16
# BITalino ECG sensor datasheet: ECG(V) = (ADC / 2^n - 1/2) * VCC / G_ECG
_VCC_V = 3.3
_ECG_GAIN = 1100.0


def matches(s: Sniff) -> bool:
    return s.suffix == ".txt" and bool(s.head) and s.head[0] == _MAGIC


def _header(path: Path) -> dict[str, Any]:
    """The first device's settings from the JSON header line."""
    require(path)
    try:
        with path.open(encoding="utf-8") as fh:
            head = [fh.readline().strip() for _ in range(3)]
        devices = json.loads(head[1].removeprefix("#").strip())
        device: dict[str, Any] = next(iter(devices.values()))
    except (OSError, UnicodeDecodeError, ValueError, StopIteration, AttributeError) as exc:
        raise RecordingUnreadable(path, f"the OpenSignals header is unreadable ({type(exc).__name__}: {exc})") from exc
    check(path, head[2] == "# EndOfHeader", "expected one JSON header line, then '# EndOfHeader'")
    check(path, isinstance(device, dict), "the header JSON should map a device address to its settings")
    return device


def load(path: Path, select: StreamSelection) -> list[Track]:
    device = _header(path)
    try:
        rate = float(device["sampling rate"])
        columns = [str(c) for c in device["column"]]
        resolution = [int(r) for r in device["resolution"]]
        labels = [str(a) for a in device["label"]]
        sensors = [str(s) for s in device["sensor"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingUnreadable(path, f"the OpenSignals header lacks a field ({type(exc).__name__}: {exc})") from exc
    check(
        path,
        len(resolution) == len(columns) and len(labels) == len(sensors) and "nSeq" in columns,
        f"columns {columns}, resolution {resolution}, labels {labels} and sensors {sensors} disagree",
    )
    names = ["ecg" if s == "ECG" else a.lower() for a, s in zip(labels, sensors, strict=True)]
    wanted = [(a, n, s) for a, n, s in zip(labels, names, sensors, strict=True) if select.wants(n)]
    if not wanted or not has_rows(path, 0, comments="#"):
        return []
    try:
        data = np.loadtxt(path, comments="#", ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise RecordingUnreadable(path, f"not a numeric table ({type(exc).__name__}: {exc})") from exc
    check(path, data.shape[1] == len(columns), f"expected {len(columns)} columns, found {data.shape[1]}")
    steps = np.mod(np.diff(data[:, columns.index("nSeq")]).astype(np.int64), _NSEQ_WRAP)
    steps[steps == 0] = _NSEQ_WRAP  # a counter that came round to the same value skipped 15 samples
    seq = np.concatenate(([0], np.cumsum(steps))) if (steps != 1).any() else None
    tracks = []
    for label, name, sensor in wanted:
        check(path, label in columns, f"no column {label!r} for sensor {sensor}")
        j = columns.index(label)
        adc = data[:, j]
        if sensor == "ECG":
            values = (adc / 2 ** resolution[j] - 0.5) * _VCC_V / _ECG_GAIN * 1e6
            spec = StreamSpec(name, Modality.ECG, (name,), "µV", rate)
        else:
            values = adc
            spec = StreamSpec(name, Modality.OTHER, (name,), "adc", rate)
        times = None if seq is None else seq / rate
        tracks.append(Track(spec, values, times_s=times, seq=seq))
    return tracks
