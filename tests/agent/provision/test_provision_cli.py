"""`edge-agent provision` end to end in a temporary root, against a real mosquitto and simulated sensors."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent import config as agent_config
from agent.base.driver import Registry
from agent.commands.cli.main import main
from agent.commands.provision.plan import EX_UNAVAILABLE
from agent.errors import EX_CONFIG
from tests.agent.provision.conftest import snapshot
from tests.support.mqtt_broker import PASSWORD, USERNAME, Broker, free_port


def run(root: Path, *args: str, input: str | None = None):
    result = CliRunner().invoke(main, ["provision", "--root", str(root), "--no-interactive", *args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def tls_args(broker: Broker, *, ca: str = "ca.crt", client: str = "client") -> list[str]:
    d = broker.pki.dir
    return ["--broker-host", "localhost", "--broker-port", str(broker.tls_port), "--ca", str(d / ca),
            "--cert", str(d / f"{client}.crt"), "--key", str(d / f"{client}.key")]


IDENTITY = ["--site", "clinic-a", "--device", "headset-1"]
SENSORS = ["--sensor", "chest:sim-chest-strap", "--sensor", "sim-gsr"]


def test_provision_with_a_client_certificate_writes_everything_and_keeps_the_old_config(broker: Broker, root: Path) -> None:
    before = (root / "etc/edge-agent/agent.toml").read_bytes()
    r = run(root, *IDENTITY, *tls_args(broker), *SENSORS, "--state-dir", str(root / "var/lib/edge-agent"))
    assert r.exit_code == 0, r.output
    assert "broker reachable with these credentials" in r.output
    etc = root / "etc/edge-agent"
    assert (etc / "agent.toml.prev").read_bytes() == before
    creds = etc / "credentials"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o700
    assert sorted(p.name for p in creds.iterdir()) == ["ca.crt", "client.crt", "client.key"]
    for p in creds.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        assert p.stat().st_uid == os.geteuid()  # no edge-agent user here: the current user, and it says so
    assert "not the service user" in r.output
    assert (etc / "credentials.prev/ca.crt").read_text() == "the old CA\n"
    assert not list(etc.glob(".credentials.new-*"))
    # the file names the credentials where the device will see them, not under --root (issue 18 finding 6)
    text = (etc / "agent.toml").read_text()
    assert 'key_file = "/etc/edge-agent/credentials/client.key"' in text and f'"{root}/etc' not in text
    # the agent itself accepts the file once --root is the device's /
    config = agent_config.parse(text.replace('"/etc/edge-agent/', f'"{etc}/'), "agent.toml", Registry())
    sync = config.top.sync
    assert (sync.site, sync.device, sync.broker.port) == ("clinic-a", "headset-1", broker.tls_port)
    assert sync.broker.tls.key_file == creds / "client.key"
    assert [d.device_id for d in config.devices] == ["chest", "gsr"]
    assert config.top.supervisor.stall_floor_s == 4.0  # tuning the request did not touch is kept


def test_provision_with_a_password_from_a_provisioning_file(broker: Broker, root: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "password").write_text(PASSWORD + "\n")
    (stick / "provision.toml").write_text(f"""
site = "home-17"
device = "companion-2"
[broker]
host = "127.0.0.1"
port = {broker.port}
username = "{USERNAME}"
password_file = "password"
[sensors.strap]
driver = "sim-chest-strap"
seed = 3
""")
    r = run(root, "--from", str(stick / "provision.toml"))
    assert r.exit_code == 0, r.output
    etc = root / "etc/edge-agent"
    assert (etc / "credentials/password").read_text() == PASSWORD + "\n"
    text = (etc / "agent.toml").read_text()
    assert PASSWORD not in text
    assert tomllib.loads(text)["devices"]["strap"] == {"driver": "sim-chest-strap", "seed": 3}


BAD = {
    "client certificate from another CA": (lambda b: tls_args(b, client="rogue-client"), EX_CONFIG,
                                           ["broker.cert_file", "not accepted by the CA", "unable to get local issuer"]),
    "CA that did not sign the client certificate": (lambda b: tls_args(b, ca="rogue-ca.crt"), EX_CONFIG,
                                                    ["broker.cert_file", "rogue-ca.crt"]),
    "key of another certificate": (lambda b: [*tls_args(b)[:-1], str(b.pki.dir / "rogue-client.key")], EX_CONFIG,
                                   ["broker.key_file", "is not the private key of"]),
    "unreachable broker": (lambda b: ["--broker-host", "127.0.0.1", "--broker-port", str(free_port())],
                           EX_UNAVAILABLE, ["broker.host", "cannot reach broker 127.0.0.1:", "--offline"]),
    "wrong password": (lambda b: ["--broker-host", "127.0.0.1", "--broker-port", str(b.port), "--username", USERNAME,
                                  "--password-file", str(b.dir / "wrong-password")], EX_CONFIG,
                       ["broker:", "Not authorized", "username/password"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_a_clear_error_and_leaves_the_installation_untouched(broker: Broker, root: Path, case: str) -> None:
    (broker.dir / "wrong-password").write_text("not-it\n")
    args, code, expected = BAD[case]
    before = snapshot(root)
    r = run(root, *IDENTITY, *args(broker), *SENSORS, "--broker-timeout", "3")
    assert r.exit_code == code, r.output
    assert "nothing was written" in r.output
    for text in expected:
        assert text in r.output, r.output
    assert snapshot(root) == before


def test_an_unknown_sensor_driver_is_refused_before_anything_is_contacted(root: Path) -> None:
    before = snapshot(root)
    r = run(root, *IDENTITY, "--broker-host", "127.0.0.1", "--broker-port", str(free_port()),
            "--sensor", "strap:polar-h11=A0:9E:1A:12:34:56", "--sensor", "ble-heart-rate=not-a-mac")
    assert r.exit_code == EX_CONFIG, r.output
    assert "sensors.strap.driver: unknown driver 'polar-h11'" in r.output
    assert "fix: use one of:" in r.output and "polar-h10" in r.output
    assert "sensors.ble-heart-rate.name" not in r.output  # a non-address target is a name ...
    assert "cannot reach broker" not in r.output  # ... and nothing was contacted with a bad request
    assert snapshot(root) == before


def test_missing_identity_and_bad_ids_are_named(root: Path) -> None:
    before = snapshot(root)
    r = run(root, "--site", "Clinic A", "--broker-host", "x", "--offline")
    assert r.exit_code == EX_CONFIG
    assert "site: Value error, 'Clinic A' is not a valid topic id" in r.output
    r = run(root, "--site", "clinic-a", "--broker-host", "x", "--offline")
    assert r.exit_code == EX_CONFIG and "device: required" in r.output and "fix: give --device" in r.output
    assert snapshot(root) == before


def test_a_shimmer_by_bluetooth_address_gets_an_rfcomm_binding(root: Path) -> None:
    r = run(root, "--no-sync", "--sensor", "gsr:shimmer-gsr=00:06:66:aa:bb:cc", "--sensor", "strap:sim-chest-strap")
    assert r.exit_code == 0, r.output
    etc = root / "etc/edge-agent"
    assert tomllib.loads((etc / "agent.toml").read_text())["devices"]["gsr"]["port"] == "/dev/rfcomm0"
    assert (etc / "rfcomm/rfcomm0.env").read_text() == "ADDRESS=00:06:66:AA:BB:CC\nCHANNEL=1\n"
    link = root / "etc/systemd/system/edge-agent.service.wants/edge-agent-rfcomm@0.service"
    assert os.readlink(link) == "/etc/systemd/system/edge-agent-rfcomm@.service"
    assert "sync" not in tomllib.loads((etc / "agent.toml").read_text())


def test_offline_writes_with_a_loud_warning(root: Path, pki_dir: Path) -> None:
    r = run(root, *IDENTITY, "--broker-host", "mqtt.example.org", "--ca", str(pki_dir / "ca.crt"),
            "--cert", str(pki_dir / "client.crt"), "--key", str(pki_dir / "client.key"), "--offline", *SENSORS)
    assert r.exit_code == 0, r.output
    assert "--offline: the broker mqtt.example.org:8883 was NOT contacted" in r.output


def test_interactive_prompts_fill_in_what_is_missing_and_pair_from_a_scan(broker: Broker, root: Path) -> None:
    answers = "\n".join([
        "clinic-b",                # site
        "tablet-3",                # device id
        "127.0.0.1",               # broker host
        str(broker.port),          # port
        "",                        # no CA: plain MQTT on loopback
        USERNAME, PASSWORD, PASSWORD,
        "y",                       # scan
        "1",                       # the first sensor found
        "",                        # its default id
        "",                        # no sensor by hand
        "y",                       # write
    ]) + "\n"
    r = CliRunner().invoke(main, ["provision", "--root", str(root), "--interactive", "--scan-driver", "sim-gsr",
                                       "--scan-timeout", "1"], input=answers)
    assert r.exit_code == 0, r.output
    assert "sim-gsr" in r.output and "sim:gsr" in r.output
    text = (root / "etc/edge-agent/agent.toml").read_text()
    cfg = tomllib.loads(text)
    assert cfg["sync"]["site"] == "clinic-b" and cfg["sync"]["broker"]["username"] == USERNAME
    assert cfg["devices"] == {"gsr": {"driver": "sim-gsr"}}
    assert (root / "etc/edge-agent/credentials/password").read_text() == PASSWORD + "\n"
    assert PASSWORD not in text


@pytest.fixture
def pki_dir(pki) -> Path:
    return pki.dir
