"""What the report reads from a store: sessions, their minutes, and each device's prescription."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.backend.store import Store

LEVELS = ("calm", "elevated", "distressed", "hold")


@dataclass(frozen=True, slots=True)
class Minute:
    started: float
    hr_bpm: float | None
    scl_us: float | None
    distress_mean: float | None
    distress_p90: float | None
    levels_s: dict[str, float]
    adaptations: int


@dataclass(frozen=True, slots=True)
class Session:
    site: str
    device: str
    session_id: str
    started: float
    ended: float
    duration_s: float
    scene: str | None
    completed: bool
    end_reason: str | None
    pain_before: float | None
    pain_after: float | None
    levels_s: dict[str, float]
    adaptations: int
    pain_ratings: list[dict[str, Any]]
    minutes: list[Minute] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """A file name for this session's chart: ids are topic levels, so already safe; the session id may not be."""
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.session_id)[:60]
        return f"{self.site}__{self.device}__{safe}__{int(self.started)}"


@dataclass(frozen=True, slots=True)
class Device:
    site: str
    device: str
    sessions_per_week: int | None
    minutes_per_session: float | None


@dataclass(frozen=True, slots=True)
class Selection:
    device: str | None = None
    site: str | None = None
    since: float | None = None  # Unix seconds


def _where(sel: Selection) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if sel.device is not None:
        clauses.append("device = %s")
        params.append(sel.device)
    if sel.site is not None:
        clauses.append("site = %s")
        params.append(sel.site)
    if sel.since is not None:
        clauses.append("started >= %s")
        params.append(sel.since)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def load_sessions(store: Store, sel: Selection) -> list[Session]:
    where, params = _where(sel)
    rows = store.query(f"SELECT * FROM sessions{where} ORDER BY site, device, started", params)
    sessions = []
    for r in rows:
        body = store.load_json(r["body"])
        minutes = [
            Minute(m["started"], m["hr_bpm"], m["scl_us"], m["distress_mean"], m["distress_p90"],
                   {lv: float(m[f"{lv}_s"]) for lv in LEVELS}, int(m["adaptations"]))
            for m in store.query("SELECT * FROM minutes WHERE site = %s AND device = %s AND session_id = %s "
                                 "ORDER BY started", (r["site"], r["device"], r["session_id"]))
        ]
        sessions.append(Session(
            r["site"], r["device"], r["session_id"], r["started"], r["ended"], r["duration_s"], r["scene"],
            bool(r["completed"]), r["end_reason"], r["pain_before"], r["pain_after"],
            {lv: float(r[f"{lv}_s"]) for lv in LEVELS}, int(r["adaptations"]), list(body.get("pain_ratings", [])),
            minutes,
        ))
    return sessions


def load_devices(store: Store) -> dict[tuple[str, str], Device]:
    rows = store.query("SELECT site, device, sessions_per_week, minutes_per_session FROM devices")
    return {(r["site"], r["device"]): Device(r["site"], r["device"], r["sessions_per_week"], r["minutes_per_session"])
            for r in rows}
