"""The VR link: the local socket through which the VR app receives adaptations and reports sessions.

Length-prefixed msgpack frames (:mod:`agent.vrlink.frames`), typed messages
(:mod:`agent.vrlink.messages`), the server the agent feeds
(:mod:`agent.vrlink.server`) and a reference asyncio client
(:mod:`agent.vrlink.client`). App events are committed to the event journal
(:mod:`agent.vrlink.journal`) before they are acked (:mod:`agent.vrlink.recording`).
The protocol is specified in docs/vr-protocol.md.
"""

from agent.vrlink.messages import CalibrationStatus, SensorStatus, Status
from agent.vrlink.options import TcpOptions, VrLinkOptions
from agent.vrlink.recording import AppEvent, EventJournal
from agent.vrlink.server import VrLinkServer

__all__ = [
    "AppEvent",
    "CalibrationStatus",
    "EventJournal",
    "SensorStatus",
    "Status",
    "TcpOptions",
    "VrLinkOptions",
    "VrLinkServer",
]
