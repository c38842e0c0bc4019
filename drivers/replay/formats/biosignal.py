"""NeuroKit2 example recordings: a CSV with a header of signal names.

One stream per column, at the rate the file name gives (``..._100hz.csv``,
``ecg_1000hz.csv``). ECG is recorded in mV and converted to µV like every
ECG stream; EDA is µS; PPG, RSP and the photosensor are device units.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, lines, table
from drivers.replay.formats.sniff import Sniff
from drivers.replay.recording import StreamSelection, Track

NAME = "biosignal-csv"
SUMMARY = "NeuroKit2 sample CSV (ECG/EDA/PPG/RSP columns, rate from the file name e.g. _100hz)"

# column (lower case) -> modality, unit, factor to that unit
_COLUMNS = {
    "ecg": (Modality.ECG, "µV", 1000.0),
    "eda": (Modality.EDA, "µS", 1.0),
    "ppg": (Modality.PPG, "a.u.", 1.0),
    "rsp": (Modality.OTHER, "a.u.", 1.0),
    "photosensor": (Modality.OTHER, "a.u.", 1.0),
}
_RATE = re.compile(r"(\d+(?:\.\d+)?)hz", re.IGNORECASE)


def matches(s: Sniff) -> bool:
    return s.suffix == ".csv" and bool(s.names) and {n.lower() for n in s.names} <= _COLUMNS.keys()


def load(path: Path, select: StreamSelection) -> list[Track]:
    columns = [c.strip() for c in lines(path, 1)[0].split(",")]
    unknown = [c for c in columns if c.lower() not in _COLUMNS]
    check(path, not unknown, f"unknown columns {unknown}; expected some of {', '.join(_COLUMNS)}")
    rate = _RATE.search(path.stem)
    check(path, rate is not None, "the file name must give the sample rate, e.g. 'name_100hz.csv'")
    assert rate is not None
    rate_hz = float(rate.group(1))
    wanted = [(i, c.lower()) for i, c in enumerate(columns) if select.wants(c.lower())]
    if not wanted:
        return []
    data = table(path, skiprows=1, columns=len(wanted), usecols=tuple(i for i, _ in wanted))
    tracks = []
    for j, (_, name) in enumerate(wanted):
        modality, unit, factor = _COLUMNS[name]
        spec = StreamSpec(name, modality, (name,), unit, rate_hz)
        tracks.append(Track(spec, data[:, j] * factor))
    return tracks
