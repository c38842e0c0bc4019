"""Summaries into the outbox: give each record its idempotency key and envelope, once."""

from __future__ import annotations

import time
import uuid

from agent.outbox.aio import AsyncOutbox
from agent.outbox.store import PutResult
from agent.summaries.records import SummaryRecord
from agent.sync.codec import encode_record, kind_of


class RecordWriter:
    """Encodes a summary record and stores it; the key is fixed here, so every re-send carries the same one."""

    def __init__(self, outbox: AsyncOutbox, site: str, device: str) -> None:
        self._outbox = outbox
        self.site = site
        self.device = device

    async def write(self, record: SummaryRecord) -> PutResult:
        key, created = str(uuid.uuid4()), time.time()
        payload = encode_record(record, key=key, created=created, site=self.site, device=self.device)
        return await self._outbox.put(kind_of(record), payload, key=key, created=created)
