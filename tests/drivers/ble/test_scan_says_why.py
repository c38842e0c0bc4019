"""Issue 18 finding 4: `edge-agent scan` says why Bluetooth cannot scan, with the fix, and exits non-zero.

Each case is the real thing standing in for a machine: no system bus at
all, a bus without bluetoothd, the fake BlueZ without an adapter or with it
powered off, and a bus whose policy refuses this user BlueZ (as BlueZ's own
policy does for users outside the bluetooth group).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.drivers.ble.fake_bluez import FakeBlueZ
from tests.drivers.ble.private_bus import DENY_BLUEZ, start_private_bus, stop_private_bus

EX_UNAVAILABLE = 69  # sysexits.h: nothing could be scanned


async def scan(address: str) -> tuple[int, str]:
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent", "scan", "--driver", "ble-heart-rate", "--driver", "polar-h10",
        "--timeout", "0.5", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


def assert_says(code: int, out: str, problem: str, fix: str) -> None:
    assert code == EX_UNAVAILABLE, out
    assert f"cannot scan (ble-heart-rate, polar-h10): {problem}" in out
    assert f"fix: {fix}" in out
    assert "are the sensors switched on" not in out  # not the sensors' fault


async def test_no_system_bus(tmp_path: Path) -> None:
    code, out = await scan(f"unix:path={tmp_path / 'no-bus'}")
    assert_says(code, out, "no Bluetooth stack: the D-Bus system bus is not running", "install and start it")


async def test_no_bluetoothd(system_bus: str) -> None:
    code, out = await scan(system_bus)
    assert_says(code, out, "no Bluetooth stack: the Bluetooth service (bluetoothd) is not running",
                "systemctl start bluetooth")


@pytest.mark.parametrize("kwargs, problem, fix", [
    ({"adapter": False}, "no Bluetooth adapter found", "plug in a Bluetooth adapter"),
    ({"powered": False}, "the Bluetooth adapter is powered off", "bluetoothctl power on"),
])
async def test_no_adapter_and_adapter_off(system_bus: str, kwargs, problem, fix) -> None:
    fake = await FakeBlueZ(**kwargs).start()
    try:
        code, out = await scan(system_bus)
    finally:
        await fake.stop()
    assert_says(code, out, problem, fix)


async def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proc, address = start_private_bus(tmp_path, DENY_BLUEZ)
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    try:
        fake = await FakeBlueZ().start()
        try:
            code, out = await scan(address)
        finally:
            await fake.stop()
    finally:
        stop_private_bus(proc)
    assert_says(code, out, "permission denied: this user may not use Bluetooth",
                "add the user to the bluetooth group (usermod -aG bluetooth")
