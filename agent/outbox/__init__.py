"""Durable, size-bounded outbox of records waiting for the cloud (SQLite, WAL).

See :mod:`agent.outbox.store` for the eviction policy and crash guarantees.
"""

from agent.outbox.aio import AsyncOutbox
from agent.outbox.kinds import RecordKind
from agent.outbox.options import Durability, OutboxOptions
from agent.outbox.store import RECORD_OVERHEAD, Outbox, OutboxStats, PutResult, Record, RecordTooLarge

__all__ = [
    "RECORD_OVERHEAD",
    "AsyncOutbox",
    "Durability",
    "Outbox",
    "OutboxOptions",
    "OutboxStats",
    "PutResult",
    "Record",
    "RecordKind",
    "RecordTooLarge",
]
