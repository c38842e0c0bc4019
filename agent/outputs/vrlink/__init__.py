"""The VR link: the local socket through which the VR app receives adaptations and reports sessions.

Length-prefixed msgpack frames (:mod:`agent.outputs.vrlink.frames`), typed messages
(:mod:`agent.outputs.vrlink.messages`), the server the agent feeds
(:mod:`agent.outputs.vrlink.server`) and a reference asyncio client
(:mod:`agent.outputs.vrlink.client`). App events are committed to the event journal
(:mod:`agent.outputs.vrlink.journal`) before they are acked (:mod:`agent.outputs.vrlink.recording`).
The protocol is specified in docs/vr-protocol.md.

The names below are imported on first use: ``agent.outputs.vrlink.options`` (read by
``status`` and ``vr-tail``) must not bring the server and its journal along.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "CalibrationStatus": "agent.outputs.vrlink.messages",
    "SensorStatus": "agent.outputs.vrlink.messages",
    "Status": "agent.outputs.vrlink.messages",
    "TcpOptions": "agent.outputs.vrlink.options",
    "VrLinkOptions": "agent.outputs.vrlink.options",
    "AppEvent": "agent.outputs.vrlink.recording",
    "EventJournal": "agent.outputs.vrlink.recording",
    "VrLinkServer": "agent.outputs.vrlink.server",
}

__all__ = sorted(_WHERE)  # noqa: PLE0605 (the lazy names are _WHERE's keys; a literal would repeat them)

if TYPE_CHECKING:  # for type checkers and readers: at run time, __getattr__ imports each name on first use
    from agent.outputs.vrlink.messages import CalibrationStatus as CalibrationStatus
    from agent.outputs.vrlink.messages import SensorStatus as SensorStatus
    from agent.outputs.vrlink.messages import Status as Status
    from agent.outputs.vrlink.options import TcpOptions as TcpOptions
    from agent.outputs.vrlink.options import VrLinkOptions as VrLinkOptions
    from agent.outputs.vrlink.recording import AppEvent as AppEvent
    from agent.outputs.vrlink.recording import EventJournal as EventJournal
    from agent.outputs.vrlink.server import VrLinkServer as VrLinkServer


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'agent.outputs.vrlink' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
