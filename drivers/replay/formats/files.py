"""Reading recording files, with every failure translated to :class:`RecordingUnreadable`."""

from __future__ import annotations

import math
import tokenize
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from agent.plugin import DeviceNotFound, RecordingUnreadable

# What the standard library and numpy raise on malformed bytes: zipfile raises
# NotImplementedError (unknown compression or version) and RuntimeError
# (encrypted member), np.load's header parser tokenize.TokenError/SyntaxError.
READ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    zipfile.BadZipFile,
    UnicodeDecodeError,
    NotImplementedError,
    RuntimeError,
    tokenize.TokenError,
    SyntaxError,
)
# What a loader's arithmetic raises on well-formed files of the wrong shape or
# type (a 0-d array iterated, strings multiplied); at the format boundary only.
MALFORMED = (*READ_ERRORS, TypeError, IndexError, KeyError, ArithmeticError)


def require(path: Path) -> Path:
    if not path.exists():
        raise DeviceNotFound(f"{path}: no such recording file or folder")
    return path


@contextmanager
def npz(path: Path, keys: tuple[str, ...]) -> Iterator[np.lib.npyio.NpzFile]:
    """An open ``.npz`` (no pickles) that is known to hold ``keys``."""
    # Our own handle: np.load leaks the one it opens when the zip directory is refused.
    with require(path).open("rb") as fh:
        try:
            archive = np.load(fh, allow_pickle=False)
        except READ_ERRORS as exc:
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
    except READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"array {key!r} is damaged ({type(exc).__name__}: {exc})") from exc


def is_real(a: np.ndarray) -> bool:
    """Integers, floats or booleans: not text, not complex."""
    return a.dtype.kind in "biuf"


def has_rows(path: Path, skiprows: int, comments: str | None = None) -> bool:
    """Whether a text table has a data row after ``skiprows`` (np.loadtxt warns on none)."""
    try:
        with path.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                text = line.strip()
                if i >= skiprows and text and not (comments and text.startswith(comments)):
                    return True
    except READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"cannot read it ({type(exc).__name__}: {exc})") from exc
    return False


def rate(archive: np.lib.npyio.NpzFile, path: Path, key: str) -> float:
    """A sample rate stored as a single finite number > 0."""
    a = member(archive, path, key)
    check(path, a.size == 1 and is_real(a), f"{key} should be one number, got {a.dtype} {a.shape}")
    hz = float(a.reshape(-1)[0])
    check(path, math.isfinite(hz) and hz > 0, f"{key} must be a finite rate > 0, got {hz}")
    return hz


def numbers(archive: np.lib.npyio.NpzFile, path: Path, key: str, *, ndim: int) -> np.ndarray:
    """A numeric (not string, not object) array of ``ndim`` dimensions."""
    a = member(archive, path, key)
    check(
        path,
        a.ndim == ndim and is_real(a),
        f"{key} should be a {ndim}-D numeric array, got {a.dtype} {a.shape}",
    )
    return a


def texts(archive: np.lib.npyio.NpzFile, path: Path, key: str) -> list[str]:
    """A 1-D array of strings."""
    a = member(archive, path, key)
    check(path, a.ndim == 1 and a.dtype.kind == "U", f"{key} should be a 1-D array of text, got {a.dtype} {a.shape}")
    return [str(x) for x in a]


def table(path: Path, *, skiprows: int, columns: int, usecols: tuple[int, ...] | None = None) -> np.ndarray:
    """A numeric comma-separated table as float64 of shape (n, columns)."""
    if not has_rows(require(path), skiprows):
        return np.zeros((0, columns))
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=skiprows, ndmin=2, usecols=usecols, dtype=np.float64)
    except READ_ERRORS as exc:
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
    except READ_ERRORS as exc:
        raise RecordingUnreadable(path, f"cannot read it ({type(exc).__name__}: {exc})") from exc


def check(path: Path, ok: bool, problem: str) -> None:
    if not ok:
        raise RecordingUnreadable(path, problem)
