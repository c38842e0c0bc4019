"""One BLE connection through bleak: find, connect with retries, notify, drop.

Connect by address or by advertised name within a scan timeout; retry
BlueZ's transient errors a few times with backoff (rescanning when BlueZ
forgot the device); turn every bleak failure into an agent error at this
boundary. Notifications and the link-down signal go through one bounded
queue, so data received before a drop is still delivered, in order, before
the drop is raised as :class:`~agent.errors.DeviceDisconnected`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak import BleakAdapter, BleakClient, BleakScanner
from bleak.backends.device import BLEDevice

from agent.plugin import (
    Backoff,
    BoundedQueue,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DriverContext,
    Overflow,
)
from drivers.ble.bluez_errors import is_transient, needs_rescan, translate
from drivers.ble.options import BleOptions

DISCONNECT_TIMEOUT_S = 5.0  # real seconds: BlueZ's pace, not the agent clock's
QUEUE_CAPACITY = 1024  # ~45 s of H10 ECG+ACC frames; the oldest go first if the consumer stalls


@dataclass(frozen=True, slots=True)
class Notification:
    t: float  # agent-clock arrival
    uuid: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _LinkDown:
    t: float


class BleLink:
    def __init__(self, options: BleOptions, context: DriverContext, *, services: tuple[str, ...] = ()) -> None:
        self.options = options
        self.clock = context.clock
        self.log = context.log
        self.services = services  # used to find a strap that is already connected (it no longer advertises)
        self.client: BleakClient | None = None
        self.queue: BoundedQueue[Notification | _LinkDown] = BoundedQueue("ble", QUEUE_CAPACITY, Overflow.DROP_OLDEST)
        self._subscribed: dict[str, Callable[[Any, bytearray], None]] = {}
        self._device: BLEDevice | None = None
        self.connects = 0
        self.transient_retries = 0

    @property
    def _bluez(self) -> dict[str, Any]:
        return {"adapter": self.options.adapter} if self.options.adapter else {}

    # -- connection ---------------------------------------------------------

    async def find(self) -> BLEDevice:
        """The strap, already connected to this host or found by a scan."""
        o = self.options
        try:
            if self.services:
                adapter = await BleakAdapter.get(bluez=self._bluez)
                for d in await adapter.get_connected_devices(frozenset(self.services)):
                    if d.address.upper() == o.address or (o.name is not None and d.name == o.name):
                        return d
            if o.address is not None:
                found = await BleakScanner.find_device_by_address(
                    o.address, timeout=o.scan_timeout_s, bluez=self._bluez
                )
            else:
                assert o.name is not None
                found = await BleakScanner.find_device_by_name(o.name, timeout=o.scan_timeout_s, bluez=self._bluez)
        except Exception as exc:
            raise translate(exc, o.target, "scanning") from exc
        if found is None:
            raise DeviceNotFound(
                f"{o.target}: not found in {o.scan_timeout_s:g} s of scanning (out of range, off, or paired to a phone?)"
            )
        return found

    async def connect(self) -> None:
        o = self.options
        backoff = Backoff(0.5, 4.0, rng=random.Random())
        for attempt in range(1, o.connect_attempts + 1):
            if self._device is None:
                self._device = await self.find()
            self.queue = BoundedQueue("ble", QUEUE_CAPACITY, Overflow.DROP_OLDEST)
            self._subscribed.clear()
            client = BleakClient(
                self._device, disconnected_callback=self._on_disconnect, timeout=o.connect_timeout_s, bluez=self._bluez
            )
            try:
                await client.connect()
            except Exception as exc:
                if not is_transient(exc) or attempt == o.connect_attempts:
                    raise translate(exc, o.target, f"connecting (attempt {attempt})") from exc
                if needs_rescan(exc):
                    self._device = None
                delay = backoff.next_delay()
                self.transient_retries += 1
                self.log.info(
                    "ble.connect.retry",
                    error=f"{type(exc).__name__}: {exc}",
                    attempt=attempt,
                    retry_in_s=round(delay, 2),
                )
                await self.clock.sleep(delay)
                continue
            self.client = client
            self.connects += 1
            self.log.info("ble.connected", address=client.address, attempt=attempt)
            return

    def _on_disconnect(self, client: BleakClient) -> None:
        if client is self.client:
            self.queue.put(_LinkDown(self.clock.now()))

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
                await client.disconnect()
        except Exception as exc:  # noqa: BLE001 - leaving anyway; the next connect starts clean
            self.log.info("ble.disconnect.failed", error=f"{type(exc).__name__}: {exc}")

    def _require(self) -> BleakClient:
        if self.client is None or not self.client.is_connected:
            raise DeviceDisconnected(f"{self.options.target}: not connected")
        return self.client

    # -- GATT ---------------------------------------------------------------

    def has(self, uuid: str) -> bool:
        client = self._require()
        return client.services.get_characteristic(uuid) is not None

    def mtu(self, uuid: str) -> int:
        """The ATT MTU BlueZ negotiated (its GattCharacteristic1.MTU, BlueZ >= 5.62)."""
        char = self._require().services.get_characteristic(uuid)
        if char is None:
            raise DeviceError(f"{self.options.target}: has no characteristic {uuid}")
        return char.max_write_without_response_size + 3

    async def read(self, uuid: str) -> bytes:
        try:
            return bytes(await self._require().read_gatt_char(uuid))
        except DeviceError:
            raise
        except Exception as exc:
            raise translate(exc, self.options.target, f"reading {uuid}") from exc

    async def write(self, uuid: str, data: bytes) -> None:
        try:
            await self._require().write_gatt_char(uuid, data, response=True)
        except DeviceError:
            raise
        except Exception as exc:
            raise translate(exc, self.options.target, f"writing {uuid}") from exc

    async def subscribe(self, uuid: str, handler: Callable[[float, bytes], None] | None = None) -> None:
        """Notifications (or indications) from ``uuid`` into the queue, or to ``handler``."""

        def on_value(_char: Any, data: bytearray) -> None:
            now = self.clock.now()
            if handler is not None:
                handler(now, bytes(data))
            else:
                self.queue.put(Notification(now, uuid, bytes(data)))

        try:
            await self._require().start_notify(uuid, on_value)
        except DeviceError:
            raise
        except Exception as exc:
            raise translate(exc, self.options.target, f"subscribing to {uuid}") from exc
        self._subscribed[uuid] = on_value

    async def resubscribe(self) -> None:
        """Stop and restart every notification: the first cure for a silent link."""
        client = self._require()
        for uuid, on_value in list(self._subscribed.items()):
            try:
                await client.stop_notify(uuid)
                await client.start_notify(uuid, on_value)
            except Exception as exc:
                raise translate(exc, self.options.target, f"resubscribing to {uuid}") from exc

    async def next(self, timeout_s: float) -> Notification | None:
        """The next notification; None after ``timeout_s`` of silence.

        Raises DeviceDisconnected once everything received before the drop is consumed.
        """
        try:
            async with self.clock.timeout(timeout_s):
                item = await self.queue.get()
        except TimeoutError:
            return None
        if isinstance(item, _LinkDown):
            raise DeviceDisconnected(f"{self.options.target}: the link dropped")
        return item
