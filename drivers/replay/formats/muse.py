"""muselsl CSV exports: ``timestamps`` (unix s) then the EEG channels in µV.

The Muse EEG stream is 256 Hz (TP9, AF7, AF8, TP10, Right AUX). Samples keep
the file's own timestamps, jitter included, and a jump in them is a gap:
seq skips the samples that would have fitted (``subjectb-relaxed-2`` has
several, one of 700 s).
"""

from __future__ import annotations

from pathlib import Path

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, lines, table
from drivers.replay.formats.sniff import Sniff
from drivers.replay.recording import StreamSelection, Track, seq_from_times

NAME = "muse-csv"
SUMMARY = "muselsl CSV export (Muse EEG TP9, AF7, AF8, TP10, Right AUX at 256 Hz, own timestamps)"
MUSE_EEG_HZ = 256.0


def matches(s: Sniff) -> bool:
    return s.suffix == ".csv" and bool(s.head) and s.head[0].startswith("timestamps,") and "TP9" in s.names


def load(path: Path, select: StreamSelection) -> list[Track]:
    columns = [c.strip() for c in lines(path, 1)[0].split(",")]
    check(
        path,
        len(columns) >= 2 and columns[0] == "timestamps",
        f"the header should be 'timestamps,' then channel names, got {','.join(columns)!r}",
    )
    if not select.wants("eeg"):
        return []
    data = table(path, skiprows=1, columns=len(columns))
    if not data.shape[0]:
        return []
    origin = float(data[0, 0])
    times = data[:, 0] - origin
    spec = StreamSpec("eeg", Modality.EEG, tuple(columns[1:]), "µV", MUSE_EEG_HZ)
    return [Track(spec, data[:, 1:], times_s=times, seq=seq_from_times(times, MUSE_EEG_HZ), device_origin=origin)]
