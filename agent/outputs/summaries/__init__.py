"""Summaries of what happened, the only data that leaves the device (raw signals never do).

- :mod:`records`: the schema (minute, session, health), shared with the backend consumer;
- :mod:`minute` / :mod:`session`: pure aggregators, inputs in, finished records out;
- :mod:`health`: the device health record;
- :mod:`events`: the VR app's session events and pain ratings, as typed inputs.
"""

from agent.outputs.summaries.events import (
    CalibrationFinished,
    MarkerSeen,
    PainRated,
    SessionEnded,
    SessionStarted,
    VrEvent,
)
from agent.outputs.summaries.minute import MinuteAggregator
from agent.outputs.summaries.records import DeviceHealth, MinuteSummary, SensorHealth, SessionSummary, SummaryRecord
from agent.outputs.summaries.session import SessionAggregator

__all__ = [
    "CalibrationFinished",
    "DeviceHealth",
    "SensorHealth",
    "MarkerSeen",
    "MinuteAggregator",
    "MinuteSummary",
    "PainRated",
    "SessionAggregator",
    "SessionEnded",
    "SessionStarted",
    "SessionSummary",
    "SummaryRecord",
    "VrEvent",
]
