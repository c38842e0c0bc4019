"""Reading recording files, with every failure translated to :class:`RecordingUnreadable`."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from agent.errors import DeviceNotFound
from drivers.replay.recording import RecordingUnreadable

_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, UnicodeDecodeError)


def require(path: Path) -> Path:
    if not path.exists():
        raise DeviceNotFound(f"{path}: no such recording file or folder")
    return path


@contextmanager
def npz(path: Path, keys: tuple[str, ...]) -> Iterator[np.lib.npyio.NpzFile]:
    """An open ``.npz`` (no pickles) that is known to hold ``keys``."""
    require(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"not a readable .npz archive ({type(exc).__name__}: {exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise RecordingUnreadable(path, "holds a single array, not an .npz archive of named arrays")
    with archive:
        absent = [k for k in keys if k not in archive.files]
        if absent:
            raise RecordingUnreadable(
                path, f"the archive has no {', '.join(absent)} (it has {', '.join(archive.files)})"
            )
        yield archive


def member(archive: np.lib.npyio.NpzFile, path: Path, key: str) -> np.ndarray:
    """One array of an open archive; a damaged member names the file and the key."""
    try:
        return archive[key]
    except _READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"array {key!r} is damaged ({type(exc).__name__}: {exc})") from exc


def table(path: Path, *, skiprows: int, columns: int, usecols: tuple[int, ...] | None = None) -> np.ndarray:
    """A numeric comma-separated table as float64 of shape (n, columns)."""
    require(path)
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=skiprows, ndmin=2, usecols=usecols, dtype=np.float64)
    except _READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"not a numeric table ({type(exc).__name__}: {exc})") from exc
    if data.shape[0] == 0:
        return np.zeros((0, columns))
    if data.shape[1] != columns:
        raise RecordingUnreadable(path, f"expected {columns} columns, found {data.shape[1]}")
    return data


def lines(path: Path, count: int) -> list[str]:
    """The first ``count`` lines of a text file, stripped."""
    require(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return [fh.readline().strip() for _ in range(count)]
    except _READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"cannot read it ({type(exc).__name__}: {exc})") from exc


def check(path: Path, ok: bool, problem: str) -> None:
    if not ok:
        raise RecordingUnreadable(path, problem)
