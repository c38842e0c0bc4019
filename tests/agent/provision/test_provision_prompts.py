"""Issue 18 finding 3: interactive `provision` checks each answer as it is typed and asks again; nothing is lost."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.main import main
from tests.support.mqtt_broker import free_port


def answer(root: Path, lines: list[str], *args: str):
    return CliRunner().invoke(main, ["provision", "--root", str(root), "--interactive", "--scan-driver", "sim-gsr",
                                          "--scan-timeout", "1", *args], input="\n".join(lines) + "\n")


def test_a_bad_site_id_ca_and_sensor_are_refused_at_their_prompts_and_asked_again(tmp_path: Path) -> None:
    r = answer(tmp_path, [
        "Clinic A", "clinic-a",            # refused at once, then right
        "",                                # device id: the default
        "mqtt.example.org", "",            # broker, default port
        str(tmp_path / "missing-ca.pem"),  # refused: no such file
        "",                                # then: no TLS
        "",                                # no username
        "n",                               # no scan
        "strap:no-such-driver=AA",         # refused: unknown driver
        "gsr:sim-gsr",                     # right
        "",                                # done
        "y",                               # write
    ], "--offline")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.index("Error: 'Clinic A' is not a valid topic id") < out.index("Device id")
    assert "missing-ca.pem does not exist" in out
    assert "unknown driver 'no-such-driver'" in out
    cfg = tomllib.loads((tmp_path / "etc/edge-agent/agent.toml").read_text())
    assert cfg["sync"]["site"] == "clinic-a" and cfg["sync"]["broker"]["host"] == "mqtt.example.org"
    assert cfg["devices"] == {"gsr": {"driver": "sim-gsr"}}


def test_when_the_broker_cannot_be_reached_the_answers_come_back_as_a_command(tmp_path: Path) -> None:
    port = free_port()
    r = answer(tmp_path, ["clinic-a", "tab-1", "127.0.0.1", str(port), "", "", "n", "gsr:sim-gsr", "", "y"],
               "--broker-timeout", "1")
    assert r.exit_code == 69, r.output
    assert (f"your answers, to run again: edge-agent provision --site clinic-a --device tab-1 "
            f"--broker-host 127.0.0.1 --broker-port {port} --sensor gsr:sim-gsr") in r.output
