"""What the outbox does when its file or its disk fails it, so that the agent never stops for it.

- A file SQLite cannot read (``file is not a database``, a failed
  ``quick_check``) is set aside with a UTC timestamp, with its ``-wal`` and
  ``-shm``, and a fresh outbox is created; how many records the old one
  held, when it can still tell, is counted as lost. Restarting cannot mend a
  corrupt file, so refusing to start would only be a restart loop.
- A write the disk refuses (full, read-only, I/O error) drops that record,
  counted per reason and kind in memory (the disk may not take a counter
  either) and reported with the outbox's statistics in the health record.
  On a full disk SQLite cannot even delete (a delete is written to the WAL
  first), so the outbox keeps a reserve file beside it: released when the
  disk fills, it gives the checkpoint and the eviction by priority room to
  work; it is laid down again once the disk has room for it twice over.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from pathlib import Path

import structlog

log = structlog.get_logger("edge_agent.outbox")

# SQLite's answers to a write the disk refused (sqlite3.Error.sqlite_errorcode & 0xFF)
_WRITE_REFUSED = {
    sqlite3.SQLITE_FULL: "disk_full",
    sqlite3.SQLITE_READONLY: "read_only",
    sqlite3.SQLITE_IOERR: "io_error",
    sqlite3.SQLITE_CANTOPEN: "io_error",
}


def write_refused(exc: sqlite3.Error) -> str | None:
    """The reason a write failed if the disk refused it (not a bug in the query), else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else _WRITE_REFUSED.get(code & 0xFF)


def is_corrupt(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def check(db: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError (SQLITE_CORRUPT) unless the file passes ``quick_check``."""
    result = db.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        error = sqlite3.DatabaseError(f"quick_check: {result}")
        error.sqlite_errorcode = sqlite3.SQLITE_CORRUPT  # type: ignore[attr-defined]
        raise error


def records_in(path: Path) -> int | None:
    """How many records a damaged outbox still says it holds, if it can say."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT records FROM totals").fetchone()[0])
        finally:
            db.close()
    except (sqlite3.Error, TypeError):
        return None


def set_aside(path: Path, reason: str) -> tuple[Path, int | None]:
    """Rename a corrupt outbox (and its WAL files) out of the way; returns the new name and its record count."""
    held = records_in(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).rename(aside.with_name(aside.name + suffix))
    path.rename(aside)
    log.error("outbox.set_aside", path=str(path), moved_to=str(aside), reason=reason, records_lost=held)
    return aside, held


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


class Reserve:
    """A file of ``size`` bytes kept beside the outbox, to be given back when the disk fills."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self.spent = False  # released for a full disk and not laid down again yet

    def release(self) -> bool:
        """Give the reserve's bytes back to the file system; whether there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        self.spent = True
        log.warning("outbox.reserve_released", path=str(self.path), bytes=self.size)
        return True

    def restore(self) -> None:
        """Lay the reserve down if it is missing and the disk has room for it twice over."""
        if self.path.exists():
            return
        with contextlib.suppress(OSError):
            if shutil.disk_usage(self.path.parent).free < 2 * self.size:
                return
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.size)  # real blocks, not a sparse file
            except OSError:
                os.close(fd)
                self.path.unlink()
                return
            os.close(fd)
            self.spent = False
