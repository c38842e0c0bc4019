"""Session events: what the VR app says about the session that changes how the core decides.

They travel with the readings, in time order, so a replay of the same
inputs reproduces a session exactly: a ``session_start`` restarts the
baseline calibration at the first tick at or after its time, never from
the side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SessionKind = Literal["session_start", "session_end"]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    kind: SessionKind
    t: float  # agent-clock time the app's event was received
    session_id: str = ""
