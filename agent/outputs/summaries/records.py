"""What leaves the device: minute, session and health records (schema v1).

These models are the schema: the agent builds them, the codec sends their
``model_dump()`` as the envelope body, and the backend consumer validates
bodies against them. Raw signals never appear here, only aggregates.

Times are wall-clock Unix seconds (UTC): a summary is an edge of the agent.
Within schema version 1, fields are only ever *added*; a consumer ignores
fields it does not know. Removing or changing a field bumps the version.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from agent.base.adaptation import Level

# Feature names the minute summary is built around (any other name is summarised too).
HR_BPM = "hr_bpm"
RMSSD_MS = "rmssd_ms"
SCL_US = "scl_us"
SCR_PER_MIN = "scr_per_min"
EEG_ALPHA = "eeg_alpha"
KNOWN_FEATURES = (HR_BPM, RMSSD_MS, SCL_US, SCR_PER_MIN, EEG_ALPHA)

DISTRESS_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # edges of the distress histogram


class _Record(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore", frozen=True)  # newer agents may add fields


class FeatureStats(_Record):
    """One feature over one minute: statistics over the ticks where it was available."""

    mean: float | None
    min: float | None
    max: float | None
    ticks: int  # ticks with a value
    coverage: float = pydantic.Field(ge=0, le=1)  # share of the minute's ticks with a value
    quality: float | None = None  # mean quality index (0–1) over those ticks, when reported


class DistressStats(_Record):
    n: int  # adaptations in the minute
    mean: float | None
    p90: float | None
    histogram: list[int]  # counts per bin of DISTRESS_BINS


class StreamHealth(_Record):
    """Signal coverage and quality of one device stream over one minute."""

    gap_s: float = 0.0  # seconds of missing samples (Gap events)
    gaps: int = 0
    bad_quality_s: float = 0.0  # seconds the device reported poor quality (Quality ok=False)


class MinuteSummary(_Record):
    kind: Literal["summary.minute"] = "summary.minute"
    start: float
    end: float
    session_id: str | None = None
    features: dict[str, FeatureStats] = {}
    distress: DistressStats
    levels_s: dict[Level, float] = {}  # seconds at each level; no adaptation in force is not counted
    adaptations: int = 0
    streams: dict[str, StreamHealth] = {}  # "device/stream" -> health
    disconnects: dict[str, int] = {}  # device id -> disconnects in the minute


class SessionCalibration(_Record):
    source: Literal["fresh", "stored", "none"] = "none"  # a resting calibration now, a stored profile, or neither
    ok: bool = False
    duration_s: float = 0.0


class PainRatingEntry(_Record):
    at_s: float  # seconds since the session started (negative: rated before it started)
    score: float = pydantic.Field(ge=0, le=10)
    phase: Literal["before", "during", "after"]
    id: int | str | None = None  # the app's event id: (session_id, "pain_rating", id) is unique
    t_app: float | None = None  # the app's own clock when it sent the rating


class MarkerEntry(_Record):
    at_s: float  # seconds since the session started
    label: str
    scene_id: str | None = None
    value: float | None = None
    id: int | str | None = None
    t_app: float | None = None


class SessionSummary(_Record):
    kind: Literal["summary.session"] = "summary.session"
    session_id: str
    start: float
    end: float
    duration_s: float
    scene: str | None = None
    completed: bool
    end_reason: str | None = None
    levels_s: dict[Level, float] = {}
    adaptations: int = 0
    adaptations_by_level: dict[Level, int] = {}
    level_changes: int = 0
    calibration: SessionCalibration = SessionCalibration()
    pain_before: float | None = None
    pain_after: float | None = None
    pain_ratings: list[PainRatingEntry] = []
    disconnects: dict[str, int] = {}
    markers: list[MarkerEntry] = []
    start_id: int | str | None = None  # the app's ids of its session_start and session_end
    end_id: int | str | None = None
    t_app_start: float | None = None  # the app's clock at session_start, to align t_app values
    agent_restarts: int = 0  # the agent restarted this often during the session; level times cover the last run


class SensorHealth(_Record):
    """What the agent knows of one sensor, for the health record."""

    connected: bool
    battery_pct: float | None = None
    rssi_dbm: float | None = None
    firmware: str | None = None
    last_seen_s: float | None = None  # seconds since its last sample


class DiskUsage(_Record):
    path: str
    total_bytes: int
    free_bytes: int


class Prescription(_Record):
    """What the clinician prescribed for this device's patient, set at provisioning; the report measures compliance."""

    sessions_per_week: int = pydantic.Field(ge=1, le=50)
    minutes_per_session: float = pydantic.Field(gt=0, le=600, allow_inf_nan=False)


class DeviceHealth(_Record):
    kind: Literal["health"] = "health"
    t: float
    uptime_s: float
    agent_version: str
    disk: DiskUsage
    devices: dict[str, SensorHealth] = {}
    outbox: dict[str, object] = {}  # OutboxStats.as_dict(): depth, bytes, evicted and expired counts per kind
    prescription: Prescription | None = None  # from the config's [prescription], so the backend needs no other source
    model: dict[str, object] = {}  # the distress model and its updates (agent.runtime.updates): active version, last step


SummaryRecord = MinuteSummary | SessionSummary | DeviceHealth
