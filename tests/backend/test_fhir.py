"""report --fhir: pain ratings as FHIR R4 Observations (LOINC 72514-3) in a Bundle that fhir.resources validates."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
import pytest
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle

from agent.backend.report.data import Session
from agent.backend.report.fhir import bundle
from agent.backend.sqlite_store import SqliteStore
from agent.commands.cli.report import command as report
from tests.backend.messages import SESSION_TOPIC, encoded, session


def _session(**kw: object) -> Session:
    base = dict(site="clinic-a", device="headset-1", session_id="s1", started=1.7e9, ended=1.7e9 + 600,
                duration_s=600.0, scene=None, completed=True, end_reason=None, pain_before=7.0, pain_after=4.0,
                levels_s={}, adaptations=0,
                pain_ratings=[{"at_s": -20.0, "score": 7.0, "phase": "before"},
                              {"at_s": 300.0, "score": 5.0, "phase": "during"},
                              {"at_s": 610.0, "score": 4.0, "phase": "after"}])
    base.update(kw)
    return Session(**base)  # type: ignore[arg-type]


def test_each_pain_rating_is_an_observation_and_the_bundle_validates() -> None:
    b = bundle([_session(), _session(session_id="s2", pain_ratings=[], pain_before=6.0, pain_after=None)], 1.7e9 + 700)
    again = Bundle.model_validate(json.loads(b.model_dump_json()))  # what is written reads back as a valid Bundle
    obs = [e.resource for e in again.entry]
    assert [o.valueQuantity.value for o in obs] == [7, 5, 4, 6]  # s2 falls back to pain_before
    assert all(o.code.coding[0].system == "http://loinc.org" and o.code.coding[0].code == "72514-3" for o in obs)
    assert all(o.status == "final" and o.subject.identifier.value == "clinic-a/headset-1" for o in obs)
    assert obs[0].identifier[0].value == "clinic-a/headset-1/s1/before/0"
    assert obs[0].effectiveDateTime.isoformat() == "2023-11-14T22:13:00+00:00"  # 1.7e9 is 22:13:20 UTC; 20 s before
    assert len({e.fullUrl for e in again.entry}) == 4
    text = b.model_dump_json()
    assert "name" not in json.loads(text)["entry"][0]["resource"]  # identifiers only


def test_a_bundle_missing_what_fhir_requires_is_refused() -> None:
    good = json.loads(bundle([_session()], 1.7e9).model_dump_json())
    del good["entry"][0]["resource"]["status"]
    with pytest.raises(pydantic.ValidationError, match="status"):
        Bundle.model_validate(good)


def test_report_fhir_writes_the_bundle(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    store.store_batch([(SESSION_TOPIC, encoded(session(1, pain_before=6.0, pain_after=3.0), 1))])
    store.close()
    done = CliRunner().invoke(report, ["--db", str(tmp_path / "db.sqlite3"), "--out", str(tmp_path / "out"), "--fhir"])
    assert done.exit_code == 0, done.output
    written = Bundle.model_validate_json((tmp_path / "out" / "fhir-bundle.json").read_text())
    assert [e.resource.valueQuantity.value for e in written.entry] == [6, 3]
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "sessions.csv").exists()
