"""Summaries into the outbox: give each record its idempotency key and envelope, once."""

from __future__ import annotations

import sqlite3
import time
import uuid

from agent.outputs.outbox.aio import AsyncOutbox
from agent.outputs.outbox.store import PutResult
from agent.outputs.summaries.records import SummaryRecord
from agent.outputs.sync.codec import encode_record, kind_of


class RecordWriter:
    """Encodes a summary record and stores it; the key is fixed here, so every re-send carries the same one."""

    def __init__(self, outbox: AsyncOutbox, site: str, device: str) -> None:
        self._outbox = outbox
        self.site = site
        self.device = device

    async def write(self, record: SummaryRecord, *, key: str | None = None) -> PutResult | None:
        """Store ``record``; with a ``key`` already in the outbox, nothing is stored and None is returned.

        A caller that may write the same record twice (a summary rebuilt after a crash) passes its
        own stable key; a record already delivered and deleted goes out again under the same key,
        which the backend recognises.
        """
        key, created = key or str(uuid.uuid4()), time.time()
        payload = encode_record(record, key=key, created=created, site=self.site, device=self.device)
        try:
            return await self._outbox.put(kind_of(record), payload, key=key, created=created)
        except sqlite3.IntegrityError:  # the key is unique: this record is already waiting
            return None
