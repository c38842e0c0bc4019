"""Cheap facts about a path that format detection needs, read once.

Detection must not load a recording: it looks at the folder's file names,
an archive's member names, or a text file's first lines.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

_TEXT_SUFFIXES = frozenset({".csv", ".txt"})
_HEAD_LINES = 3


@dataclass(frozen=True, slots=True)
class Sniff:
    """What a path looks like: ``names`` are a folder's file names, an ``.npz``
    archive's array names or a text file's header columns; ``head`` are a text
    file's first lines; ``problem`` says why the path could not be read."""

    path: Path
    is_dir: bool = False
    suffix: str = ""
    names: frozenset[str] = frozenset()
    head: tuple[str, ...] = ()
    problem: str | None = None


def sniff(path: Path) -> Sniff:
    if path.is_dir():
        return Sniff(path, is_dir=True, names=frozenset(p.name for p in path.iterdir()))
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                names = frozenset(n.removesuffix(".npy") for n in zf.namelist())
            return Sniff(path, suffix=suffix, names=names)
        if suffix in _TEXT_SUFFIXES:
            with path.open(encoding="utf-8") as fh:
                head = tuple(line.strip() for _, line in zip(range(_HEAD_LINES), fh, strict=False))
            columns = frozenset(c.strip() for c in head[0].split(",")) if head else frozenset()
            return Sniff(path, suffix=suffix, names=columns, head=head)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, NotImplementedError, RuntimeError) as exc:
        return Sniff(path, suffix=suffix, problem=f"cannot read it ({type(exc).__name__}: {exc})")
    return Sniff(path, suffix=suffix)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
