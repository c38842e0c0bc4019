"""The prescription travels from provisioning to the config, into every health record, and to the devices table."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from agent import config as agent_config
from agent.backend.sqlite_store import SqliteStore
from agent.base.driver import Registry
from agent.commands.cli.main import main
from agent.errors import EX_CONFIG
from agent.outputs.summaries.records import Prescription
from tests.backend.messages import HEALTH_TOPIC, encoded, health

BASE = ["--no-interactive", "--offline", "--site", "clinic-a", "--device", "headset-1", "--broker-host", "localhost",
        "--sensor", "sim-chest-strap"]


def test_provision_writes_the_prescription_and_the_agent_reads_it(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["provision", "--root", str(tmp_path), *BASE, "--sessions-per-week", "3",
                                          "--minutes-per-session", "20"])
    assert done.exit_code == 0, done.output
    written = tomllib.loads((tmp_path / "etc/edge-agent/agent.toml").read_text())
    assert written["prescription"] == {"sessions_per_week": 3, "minutes_per_session": 20.0}
    config = agent_config.load(tmp_path / "etc/edge-agent/agent.toml", Registry())
    assert config.top.prescription is not None
    assert config.top.prescription.model_dump() == {"sessions_per_week": 3, "minutes_per_session": 20.0}


def test_half_a_prescription_or_a_silly_one_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    for extra in (["--sessions-per-week", "3"], ["--sessions-per-week", "0", "--minutes-per-session", "20"],
                  ["--sessions-per-week", "3", "--minutes-per-session", "nan"]):
        done = CliRunner().invoke(main, ["provision", "--root", str(tmp_path), *BASE, *extra])
        assert done.exit_code == EX_CONFIG, (extra, done.output)
        assert "prescription" in done.output
        assert not (tmp_path / "etc/edge-agent/agent.toml").exists()


def test_the_latest_health_record_sets_the_devices_prescription(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    rx = Prescription(sessions_per_week=4, minutes_per_session=15)
    store.store_batch([(HEALTH_TOPIC, encoded(health(20, prescription=rx), 2)),
                       (HEALTH_TOPIC, encoded(health(10, prescription=Prescription(sessions_per_week=1,
                                                                                   minutes_per_session=5)), 1))])
    [row] = store.query("SELECT sessions_per_week, minutes_per_session, health_t FROM devices")
    assert row == {"sessions_per_week": 4, "minutes_per_session": 15.0, "health_t": 20.0}  # the older one arrived late
    store.close()
