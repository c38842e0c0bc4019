"""Typed options of the outbox (the ``[outbox]`` table of the agent config)."""

from __future__ import annotations

import enum
from pathlib import Path

import pydantic


class Durability(enum.StrEnum):
    """SQLite ``synchronous`` setting in WAL mode.

    Both survive ``kill -9`` of the agent (a committed transaction is in the
    OS page cache). ``FULL`` also survives a power cut, at the price of one
    fsync per commit; a patient's companion computer is unplugged often, so
    that is the default.
    """

    NORMAL = "normal"
    FULL = "full"


class OutboxOptions(pydantic.BaseModel):
    """Where the outbox lives and how big it may grow.

    ``path`` None means ``<state directory>/outbox.sqlite3`` (the agent's
    ``StateDirectory=``). ``max_bytes`` bounds the stored payloads plus a
    fixed per-record overhead; when it would be exceeded, records are evicted
    in the documented priority order (see :mod:`agent.outputs.outbox.store`).
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    path: Path | None = None
    max_bytes: int = pydantic.Field(default=64 * 1024 * 1024, ge=16 * 1024)
    durability: Durability = Durability.FULL

    def resolve_path(self, state_dir: Path) -> Path:
        return self.path if self.path is not None else state_dir / "outbox.sqlite3"
