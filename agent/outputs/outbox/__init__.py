"""Durable, size-bounded outbox of records waiting for the cloud (SQLite, WAL).

See :mod:`agent.outputs.outbox.store` for the eviction policy and crash guarantees.
"""

from agent.outputs.outbox.aio import AsyncOutbox
from agent.outputs.outbox.kinds import RecordKind
from agent.outputs.outbox.options import Durability, OutboxOptions
from agent.outputs.outbox.store import RECORD_OVERHEAD, Outbox, OutboxStats, PutResult, Record, RecordTooLarge

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
