"""EMR hand-off: each pain rating as a FHIR R4 Observation (LOINC 72514-3) in one collection Bundle.

Identifiers only: the subject is the device (``site/device``), each
Observation's identifier is the session id and the rating's place in it; no
names, no raw signals. Validated with ``fhir.resources`` against its R4B
models, whose Observation and Bundle are those of R4 (4.0.1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from agent.backend.report.data import Session

LOINC_PAIN = {"system": "http://loinc.org", "code": "72514-3",
              "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
DEVICE_SYSTEM = "urn:vr-edge-agent:device"  # value: site/device
SESSION_SYSTEM = "urn:vr-edge-agent:session"  # value: site/device/session_id/phase/index
_NAMESPACE = uuid.UUID("6f0c2a4e-3f0d-4d8e-9a5b-1d2c3e4f5a6b")  # stable fullUrls: the same rating, the same id


def _ratings(s: Session) -> list[dict[str, Any]]:
    if s.pain_ratings:
        return s.pain_ratings
    fallback = [{"at_s": 0.0, "score": s.pain_before, "phase": "before"}] if s.pain_before is not None else []
    if s.pain_after is not None:
        fallback.append({"at_s": s.duration_s, "score": s.pain_after, "phase": "after"})
    return fallback


def observation(s: Session, rating: dict[str, Any], index: int) -> dict[str, Any]:
    when = dt.datetime.fromtimestamp(s.started + float(rating["at_s"]), dt.UTC).isoformat(timespec="seconds")
    ident = f"{s.site}/{s.device}/{s.session_id}/{rating['phase']}/{index}"
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, ident)}",
        "resource": {
            "resourceType": "Observation",
            "identifier": [{"system": SESSION_SYSTEM, "value": ident}],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "survey", "display": "Survey"}]}],
            "code": {"coding": [LOINC_PAIN], "text": f"Pain severity, {rating['phase']} the VR session"},
            "subject": {"type": "Device", "identifier": {"system": DEVICE_SYSTEM, "value": f"{s.site}/{s.device}"}},
            "effectiveDateTime": when,
            "valueQuantity": {"value": float(rating["score"]), "unit": "{score}",
                              "system": "http://unitsofmeasure.org", "code": "{score}"},
        },
    }


def bundle(sessions: list[Session], now: float) -> Bundle:
    entries = [observation(s, r, i) for s in sessions for i, r in enumerate(_ratings(s))]
    return Bundle.model_validate({
        "resourceType": "Bundle", "type": "collection",
        "timestamp": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"),
        "entry": entries,
    })
