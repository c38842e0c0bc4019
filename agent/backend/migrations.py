"""Versioned schema migrations: plain SQL files ``NNNN_name.sql`` per dialect, applied in order, recorded.

Each store applies the files newer than the highest version in its
``schema_version`` table, each in its own transaction with its version row,
so a crash mid-way leaves the database at the previous version. A database
at a version this code does not know is refused rather than written to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from agent.errors import ConfigError

_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied DOUBLE PRECISION NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """One statement per entry (the files hold no semicolons inside statements)."""
        lines = [line for line in self.sql.splitlines() if not line.lstrip().startswith("--")]
        return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def migrations(dialect: str) -> list[Migration]:
    folder = resources.files("agent.backend") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        if m := _NAME.fullmatch(entry.name):
            found.append(Migration(int(m[1]), m[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    assert [mig.version for mig in found] == list(range(1, len(found) + 1)), f"{dialect} migrations are not 1..n"
    return found


def pending(dialect: str, applied: set[int], where: str) -> list[Migration]:
    known = migrations(dialect)
    if applied and max(applied) > known[-1].version:
        raise ConfigError(f"{where}: the database is at schema version {max(applied)}, newer than this consumer "
                          f"knows ({known[-1].version}); upgrade vr-edge-agent")
    return [m for m in known if m.version not in applied]
