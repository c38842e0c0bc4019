"""`edge-agent check`: simulated sensors stream and are judged, a real broker is reached, the report says what to fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.check import check
from tests.agent.provision.conftest import broker, pki  # noqa: F401 - fixtures
from tests.support.mqtt_broker import PASSWORD, USERNAME, Broker, free_port


def write_config(tmp: Path, devices: str, *, port: int | None, password: str = PASSWORD) -> Path:
    pw = tmp / "password"
    pw.write_text(password + "\n")
    os.chmod(pw, 0o600)
    sync = "" if port is None else f"""
[sync]
site = "clinic-a"
device = "headset-1"
[sync.broker]
host = "127.0.0.1"
port = {port}
username = "{USERNAME}"
password_file = "{pw}"
"""
    path = tmp / "agent.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp}/state"\nruntime_dir = "{tmp}/run"\n{sync}\n{devices}')
    return path


def run_check(config: Path, *extra: str) -> tuple[int, dict]:
    r = CliRunner().invoke(check, ["--config", str(config), "--json", "--seconds", "4", "--speed", "2", *extra])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, json.loads(r.stdout)


def steps(report: dict) -> dict[str, dict]:
    return {s["name"]: s for s in report["steps"]}


def test_a_good_installation_passes(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    config = write_config(tmp_path, '[devices.chest-strap]\ndriver = "sim-chest-strap"\n', port=broker.port)
    code, report = run_check(config)
    assert code == 0 and report["ok"], report
    s = steps(report)
    assert s["sensor chest-strap"]["status"] == "warn" and "cardiac quality" in s["sensor chest-strap"]["figure"]
    assert "SIMULATED sensor" in s["sensor chest-strap"]["detail"]  # it streamed, but it is no hardware
    assert s["broker"]["status"] == "pass" and s["broker"]["figure"].endswith(" ms")
    assert s["VR socket"]["status"] == "pass" and s["disk"]["status"] == "pass"
    assert s["model"]["status"] == "pass" and s["model"]["detail"].endswith("run by numpy")  # no onnxruntime needed
    assert not list((tmp_path / "run").glob(".check-*"))  # the probe socket is cleaned up


def test_each_failure_says_what_is_wrong_and_how_to_fix_it(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    devices = """
[devices.strap]
driver = "sim-chest-strap"
faults = [{kind = "contact_loss", at_s = 0.0, duration_s = 600.0}]

[devices.gsr]
driver = "sim-gsr"
faults = [{kind = "flatline", at_s = 0.0, duration_s = 600.0}]

[features.eeg]
window_s = 20.0
"""
    config = write_config(tmp_path, devices, port=broker.port, password="wrong")
    code, report = run_check(config, "--min-free-mb", "1e12")
    assert code == 1 and not report["ok"]
    s = steps(report)
    assert s["sensor strap"]["status"] == "fail" and "no skin contact" in s["sensor strap"]["detail"]
    assert "moisten the electrodes" in s["sensor strap"]["fix"]
    assert s["sensor gsr"]["status"] == "fail" and "flatline" in s["sensor gsr"]["detail"]
    assert "flat" in s["sensor gsr"]["fix"]
    assert s["broker"]["status"] == "fail" and "Not authorized" in s["broker"]["detail"]
    assert s["disk"]["status"] == "fail" and "journalctl --vacuum" in s["disk"]["fix"]
    # the packaged model learned EEG band powers over 6 s: it still runs, and the technician is told
    assert s["model"]["status"] == "warn" and "[features.eeg] window_s = 20.0 here, 4.0 in training" in s["model"]["detail"]
    assert all(step["fix"] for step in report["steps"] if step["status"] != "pass")


def test_unreachable_broker_and_human_report(tmp_path: Path) -> None:
    config = write_config(tmp_path, "", port=free_port())
    r = CliRunner().invoke(check, ["--config", str(config), "--broker-timeout", "2"])
    assert r.exit_code == 1
    assert "FAIL  broker" in r.stdout and "cannot reach broker 127.0.0.1" in r.stdout
    assert "WARN  sensors" in r.stdout and "fix: pair sensors" in r.stdout
    assert r.stdout.strip().endswith("1 failed")


def test_a_broken_config_is_a_failed_step_with_a_fix(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('[devices.x]\ndriver = "no-such-driver"\n')
    r = CliRunner().invoke(check, ["--config", str(config), "--json"])
    assert r.exit_code == 1
    step = json.loads(r.stdout)["steps"][0]
    assert step["name"] == "config" and "unknown driver 'no-such-driver'" in step["detail"]
    assert "edge-agent provision" in step["fix"]
