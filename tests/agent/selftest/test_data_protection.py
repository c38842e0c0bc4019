"""Issue 18 finding 6: plain MQTT, credentials others can read and certificates about to expire are said out loud."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.check import check
from tests.agent.provision.conftest import broker, pki  # noqa: F401 - fixtures
from tests.support.mqtt_broker import PASSWORD, USERNAME, Broker, free_port


def config_file(tmp: Path, sync: str) -> Path:
    path = tmp / "agent.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp}/state"\nruntime_dir = "{tmp}/run"\n{sync}\n'
                    '[devices.gsr]\ndriver = "sim-gsr"\n')
    return path


def plain_sync(tmp: Path, port: int) -> str:
    creds = tmp / "creds"
    creds.mkdir()
    os.chmod(creds, 0o755)  # every user may list and enter it
    (creds / "password").write_text(PASSWORD + "\n")
    os.chmod(creds / "password", 0o600)
    return (f'[sync]\nsite = "clinic-a"\ndevice = "h-1"\n[sync.broker]\nhost = "127.0.0.1"\nport = {port}\n'
            f'username = "{USERNAME}"\npassword_file = "{creds / "password"}"\n')


def protection_steps(config: Path) -> list[dict]:
    r = CliRunner().invoke(check, ["--config", str(config), "--json", "--seconds", "1", "--speed", "4",
                                   "--min-free-mb", "0", "--broker-timeout", "5"])
    return [s for s in json.loads(r.stdout)["steps"] if s["name"] == "data protection"]


def test_plain_mqtt_and_an_open_credentials_folder_are_warned_about(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    steps = protection_steps(config_file(tmp_path, plain_sync(tmp_path, broker.port)))
    details = " | ".join(s["detail"] for s in steps)
    assert all(s["status"] == "warn" and s["fix"] for s in steps)
    assert f"127.0.0.1:{broker.port} over plain MQTT, unencrypted with a password sent in the clear" in details
    assert f"credentials folder {tmp_path / 'creds'} is open to every user" in details


def test_certificates_that_expire_within_30_days_are_warned_about(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    for name in ("ca.crt", "client.crt", "client.key"):
        shutil.copy(broker.pki.path(name), tmp_path / name)
    os.chmod(tmp_path / "client.key", 0o600)
    sync = (f'[sync]\nsite = "clinic-a"\ndevice = "h-1"\n[sync.broker]\nhost = "localhost"\nport = {broker.tls_port}\n'
            f'[sync.broker.tls]\nca_file = "{tmp_path}/ca.crt"\ncert_file = "{tmp_path}/client.crt"\n'
            f'key_file = "{tmp_path}/client.key"\n')
    steps = protection_steps(config_file(tmp_path, sync))  # the test PKI is valid for 2 days
    details = " | ".join(s["detail"] for s in steps)
    assert "plain MQTT" not in details
    assert f"the CA certificate {tmp_path}/ca.crt expires on" in details
    assert f"the client certificate {tmp_path}/client.crt expires on" in details
    assert f"the broker's certificate (localhost:{broker.tls_port}) expires on" in details


def test_run_warns_about_plain_mqtt_at_start(tmp_path: Path) -> None:
    path = config_file(tmp_path, plain_sync(tmp_path, free_port()))
    env = {k: v for k, v in os.environ.items() if k != "EDGE_AGENT_CONFIG"}
    r = subprocess.run([sys.executable, "-m", "agent", "run", "--config", str(path), "--for", "0.5", "--view", "none"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "edge-agent: warning: summaries go to 127.0.0.1:" in r.stderr and "over plain MQTT" in r.stderr
    assert any(json.loads(line).get("event") == "data_protection" for line in r.stderr.splitlines()
               if line.startswith("{"))
