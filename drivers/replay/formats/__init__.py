"""Recording formats: each module has ``NAME``, ``SUMMARY``, ``matches(Sniff)``
and ``load(path, StreamSelection) -> list[Track]``; this module detects which
one a path is and loads it with every failure named by file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

from agent.plugin import AgentError, ConfigError
from drivers.replay.formats import biosignal, e4, eegmat, muse, opensignals, rr, wesad
from drivers.replay.formats.files import MALFORMED, require
from drivers.replay.formats.sniff import Sniff, sniff
from drivers.replay.recording import RecordingUnreadable, StreamSelection, Track


class Format(Protocol):
    """What every format module provides."""

    NAME: str
    SUMMARY: str

    def matches(self, s: Sniff) -> bool: ...

    def load(self, path: Path, select: StreamSelection) -> list[Track]: ...


FORMATS: dict[str, Format] = {m.NAME: m for m in (wesad, e4, muse, rr, eegmat, biosignal, opensignals)}


def detect(path: Path) -> Format:
    """The format of ``path``, from its name and its first bytes."""
    found = sniff(require(path))
    for fmt in FORMATS.values():
        if found.problem is None and fmt.matches(found):
            return fmt
    why = found.problem or "it matches none of the known formats"
    raise RecordingUnreadable(
        path,
        f"cannot tell which recording format this is: {why} (known: {', '.join(FORMATS)}; name one with --format, or format= in a replay device's options)",
    )


def open_recording(
    path: Path, format_name: str, streams: tuple[str, ...] | None, optional: tuple[str, ...] = ()
) -> list[Track]:
    """Load the tracks of ``path`` (blocking: call it in a thread); ``optional`` streams only where present."""
    fmt = detect(path) if format_name == "auto" else FORMATS[format_name]
    select = StreamSelection(streams, optional)
    try:
        tracks = fmt.load(require(path), select)
    except AgentError:
        raise
    except MALFORMED as exc:  # shapes, types and values that break a loader, a Track or a StreamSpec
        raise RecordingUnreadable(path, f"not a valid {fmt.NAME} recording ({type(exc).__name__}: {exc})") from exc
    select.check(path)
    if not any(len(t) for t in tracks):
        raise ConfigError(f"{path}: the selected streams hold no samples", source=str(path), field="streams")
    return tracks


def find_recordings(root: Path, *, deadline: float | None = None) -> list[tuple[Path, str]]:
    """(path relative to ``root``, format name) of every recording under ``root``, sorted.

    Stops early, with what it found, once ``time.monotonic()`` passes ``deadline``.
    """
    found: list[tuple[Path, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        here = Path(folder)
        for entry in [here, *(here / f for f in sorted(files))]:
            if deadline is not None and time.monotonic() > deadline:
                return found
            s = sniff(entry)
            fmt = next((m for m in FORMATS.values() if s.problem is None and m.matches(s)), None)
            if fmt is not None and entry != root:
                found.append((entry.relative_to(root), fmt.NAME))
                if entry.is_dir():
                    dirs.clear()  # a session folder's files belong to it
                    break
    return sorted(found)
