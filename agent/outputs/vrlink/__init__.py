"""The VR link: the local socket through which the VR app receives adaptations and reports sessions.

Length-prefixed msgpack frames (:mod:`agent.outputs.vrlink.frames`), typed messages
(:mod:`agent.outputs.vrlink.messages`), the server the agent feeds
(:mod:`agent.outputs.vrlink.server`) and a reference asyncio client
(:mod:`agent.outputs.vrlink.client`). App events are committed to the event journal
(:mod:`agent.outputs.vrlink.journal`) before they are acked (:mod:`agent.outputs.vrlink.recording`).
The protocol is specified in docs/vr-protocol.md.
"""

from agent.outputs.vrlink.messages import CalibrationStatus, SensorStatus, Status
from agent.outputs.vrlink.options import TcpOptions, VrLinkOptions
from agent.outputs.vrlink.recording import AppEvent, EventJournal
from agent.outputs.vrlink.server import VrLinkServer

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
