"""The VR link: the local socket through which the VR app receives adaptations and reports sessions.

Length-prefixed msgpack frames (:mod:`agent.vrlink.frames`), typed messages
(:mod:`agent.vrlink.messages`), the server the agent feeds
(:mod:`agent.vrlink.server`) and a reference asyncio client
(:mod:`agent.vrlink.client`). App events are committed to the event journal
(:mod:`agent.vrlink.journal`) before they are acked (:mod:`agent.vrlink.recording`).
The protocol is specified in docs/vr-protocol.md.

The names below are imported on first use: ``agent.vrlink.options`` (read by
``status`` and ``vr-tail``) must not bring the server and its journal along.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "CalibrationStatus": "agent.vrlink.messages",
    "SensorStatus": "agent.vrlink.messages",
    "Status": "agent.vrlink.messages",
    "TcpOptions": "agent.vrlink.options",
    "VrLinkOptions": "agent.vrlink.options",
    "AppEvent": "agent.vrlink.recording",
    "EventJournal": "agent.vrlink.recording",
    "VrLinkServer": "agent.vrlink.server",
}

__all__ = sorted(_WHERE)

if TYPE_CHECKING:
    from agent.vrlink.messages import CalibrationStatus, SensorStatus, Status
    from agent.vrlink.options import TcpOptions, VrLinkOptions
    from agent.vrlink.recording import AppEvent, EventJournal
    from agent.vrlink.server import VrLinkServer


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'agent.vrlink' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
