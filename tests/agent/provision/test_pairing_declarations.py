"""Pairing reads what a driver declares (DriverPlugin): a third-party driver is provisioned like a built-in one."""

from __future__ import annotations

from importlib import metadata

from agent.base.driver import Registry
from agent.commands.provision import sensors as pairing
from agent.plugin import Discovered, DriverOptions, DriverPlugin


class BandOptions(DriverOptions):
    port: str
    rate_hz: float = 128.0


class StrapOptions(DriverOptions):
    address: str | None = None
    label: str | None = None


class StreamOptions(DriverOptions):
    stream: str
    origin: str | None = None


class FakeOptions(DriverOptions):
    seed: int = 0


BAND = DriverPlugin(name="acme-band", summary="a Bluetooth serial band", options=BandOptions, target="x:Band",
                    hardware="bluetooth-serial", target_option="port", id_hint="band")
STRAP = DriverPlugin(name="acme-strap", summary="a BLE strap", options=StrapOptions, target="x:Strap",
                     hardware="ble", target_option="label", address_option="address")
STREAM = DriverPlugin(name="acme-stream", summary="a network stream", options=StreamOptions, target="x:Stream",
                      hardware="network", target_option="stream")
FAKE = DriverPlugin(name="acme-fake", summary="simulated", options=FakeOptions, target="x:Fake", hardware="none")


def registry() -> Registry:
    eps = metadata.EntryPoints(
        metadata.EntryPoint(p.name, f"{__name__}:{var}", "edge_agent.drivers")
        for var, p in {"BAND": BAND, "STRAP": STRAP, "STREAM": STREAM, "FAKE": FAKE}.items())
    return Registry(eps)


def test_the_target_goes_into_the_declared_option():
    assert pairing.target_options(BAND, "/dev/ttyUSB0") == {"port": "/dev/ttyUSB0"}
    assert pairing.target_options(STRAP, "Strap 1234") == {"label": "Strap 1234"}
    assert pairing.target_options(STRAP, "a0-9e-1a-12-34-56") == {"address": "A0:9E:1A:12:34:56"}
    assert pairing.target_options(STREAM, "eeg1") == {"stream": "eeg1"}
    assert pairing.target_options(FAKE, "anything") == {"target": "anything"}  # validation then names the keys


def test_a_scan_result_uses_the_options_the_driver_found_it_by():
    found = Discovered("acme-stream", "eeg1", "eeg1@host", options={"stream": "eeg1", "origin": "src-7"})
    assert pairing.discovered_options(STREAM, found) == {"stream": "eeg1", "origin": "src-7"}
    assert pairing.discovered_options(BAND, Discovered("acme-band", "Band", "/dev/ttyUSB1")) == {"port": "/dev/ttyUSB1"}
    assert pairing.discovered_options(FAKE, Discovered("acme-fake", "Fake", "fake:1")) == {}


def test_the_suggested_id_is_the_hint_made_unique():
    reg = registry()
    assert pairing.default_id(reg, "acme-band", set()) == "band"
    assert pairing.default_id(reg, "acme-band", {"band"}) == "band-2"
    assert pairing.default_id(reg, "acme-strap", set()) == "acme-strap"
    assert pairing.default_id(reg, "not-installed", set()) == "not-installed"


def test_a_bluetooth_serial_device_named_by_its_address_gets_an_rfcomm_binding():
    sensors = {"gsr": {"driver": "acme-band", "port": "00:06:66:aa:bb:cc"},
               "gsr-2": {"driver": "acme-band", "port": "/dev/rfcomm0"},
               "strap": {"driver": "acme-strap", "address": "A0:9E:1A:12:34:56"}}
    bindings = pairing.bind_rfcomm(registry(), sensors)
    assert [(b.index, b.address) for b in bindings] == [(1, "00:06:66:AA:BB:CC")]  # rfcomm0 is taken
    assert sensors["gsr"]["port"] == "/dev/rfcomm1"
    assert sensors["strap"] == {"driver": "acme-strap", "address": "A0:9E:1A:12:34:56"}
    assert not pairing.validate(registry(), {"gsr": sensors["gsr"]})


def test_an_unknown_option_is_reported_with_the_drivers_real_keys():
    problems = pairing.validate(registry(), {"fake": {"driver": "acme-fake", "target": "x"}})
    assert [(p.field, p.message) for p in problems] == [("sensors.fake.target", "unknown option")]
    assert "seed" in problems[0].fix
