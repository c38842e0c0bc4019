"""The kinds of record the outbox holds, and the rank each has.

Rank decides both directions: records are *sent* highest rank first, and
*evicted* lowest rank first when the outbox is full. A session summary is
the record a clinician reads, a minute summary is detail, and a health
report is superseded by the next one within minutes.
"""

from __future__ import annotations

import enum


class RecordKind(enum.StrEnum):
    HEALTH = "health"
    MINUTE = "summary.minute"
    SESSION = "summary.session"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def ttl_s(self) -> float | None:
        """Age after which an unsent record is useless and is expired (counted), or None."""
        return _TTL_S[self]


_RANK = {RecordKind.HEALTH: 0, RecordKind.MINUTE: 1, RecordKind.SESSION: 2}
_TTL_S: dict[RecordKind, float | None] = {RecordKind.HEALTH: 6 * 3600.0, RecordKind.MINUTE: None, RecordKind.SESSION: None}
