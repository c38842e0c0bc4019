"""A private D-Bus "system" bus for the BLE tests, and the fake BlueZ on it.

One ``dbus-daemon`` per test session; each test points bleak at it through
DBUS_SYSTEM_BUS_ADDRESS (monkeypatched, never set globally) and gets a
fresh fake BlueZ.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from bleak.backends.bluezdbus import manager

from tests.drivers.ble.fake_bluez import FakeBlueZ
from tests.drivers.ble.private_bus import start_private_bus, stop_private_bus


@pytest.fixture(scope="session")
def dbus_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, address = start_private_bus(tmp_path_factory.mktemp("dbus"))
    try:
        yield address
    finally:
        stop_private_bus(proc)


@pytest.fixture
def system_bus(dbus_address: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", dbus_address)
    return dbus_address


@pytest.fixture
async def bluez(system_bus: str) -> AsyncIterator[FakeBlueZ]:
    fake = await FakeBlueZ().start()
    try:
        yield fake
    finally:
        await fake.stop()
        await release_bleak_manager()


async def release_bleak_manager() -> None:
    """Close bleak's per-event-loop BlueZ manager before the test's loop closes.

    bleak keeps one D-Bus connection per event loop in a module global and
    drops it only lazily; each test has its own loop, so release it here.
    """
    m = manager._global_instances.pop(asyncio.get_running_loop(), None)
    if m is not None and m._bus is not None:
        m._bus.disconnect()
        await m._bus.wait_for_disconnect()
        if m._bus_watcher_task is not None:
            await m._bus_watcher_task
