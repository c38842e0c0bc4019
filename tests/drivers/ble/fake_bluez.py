"""A small fake of BlueZ's ``org.bluez`` D-Bus API, served with dbus-fast.

Test infrastructure: it owns the name ``org.bluez`` on a private bus (a
``dbus-daemon`` started by the tests; bleak finds it through
``DBUS_SYSTEM_BUS_ADDRESS``) and exports what bleak 3.1's BlueZ backend
uses, the way bluetoothd does:

- ``/org/bluez/hci0``: ``Adapter1`` (SetDiscoveryFilter, Start/StopDiscovery,
  RemoveDevice; Powered, Discovering, Roles with "central").
- ``/org/bluez/hci0/dev_XX_…``: ``Device1`` (Connect, Disconnect; Address,
  Alias, Name, RSSI, UUIDs, Connected, ServicesResolved, Paired, Adapter),
  exported when a scan first sees the device; while scanning, RSSI updates
  arrive as ``PropertiesChanged`` (bleak treats them as advertisements).
- ``…/serviceXXXX`` ``GattService1`` and ``…/serviceXXXX/charYYYY``
  ``GattCharacteristic1`` (ReadValue, WriteValue, StartNotify, StopNotify;
  UUID, Service, Value, Notifying, Flags, MTU), exported on connect and
  removed on disconnect (an unpaired device's GATT cache is dropped);
  notifications and indications are ``PropertiesChanged`` on ``Value``.

``dbus-fast`` provides ``ObjectManager.GetManagedObjects`` and emits
``InterfacesAdded``/``InterfacesRemoved`` on export/unexport. The GATT
objects live in :mod:`fake_bluez_gatt`; device behaviour (what a strap
sends) in :mod:`fake_straps`.
"""

import asyncio

from dbus_fast import BusType, DBusError, NameFlag, RequestNameReply, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from tests.drivers.ble.fake_bluez_gatt import Characteristic, Service, ServiceSpec

BLUEZ = "org.bluez"
ADAPTER_PATH = "/org/bluez/hci0"
ERR_FAILED = "org.bluez.Error.Failed"
ERR_IN_PROGRESS = "org.bluez.Error.InProgress"
ERR_NOT_CONNECTED = "org.bluez.Error.NotConnected"
DEFAULT_MTU = 23  # ATT minimum, before BlueZ's MTU exchange completes
R = PropertyAccess.READ


class Peripheral:
    """What a device does; :mod:`fake_straps` subclasses it."""

    def __init__(
        self, address: str, name: str, advertised: list[str], gatt: list[ServiceSpec], *, rssi: int = -60
    ) -> None:
        self.address, self.name, self.advertised, self.gatt, self.rssi = address, name, advertised, gatt, rssi
        self.in_range = True  # advertising and reachable
        self.mtu = 232  # what the MTU exchange ends at: min(BlueZ's 517, the device's)
        self.mtu_delay_s = 0.0  # the exchange finishing after services resolve
        self.fail_connects: list[tuple[str, str]] = []  # D-Bus errors for the next Connect calls
        self.device: Device | None = None

    @property
    def connected(self) -> bool:
        return self.device is not None and self.device.connected

    def connection_changed(self, connected: bool) -> None:
        """Hook: the link came up (after services resolved) or went down."""


class Device(ServiceInterface):
    def __init__(self, bus: MessageBus, peripheral: Peripheral) -> None:
        super().__init__("org.bluez.Device1")
        self.bus, self.p = bus, peripheral
        self.path = f"{ADAPTER_PATH}/dev_{peripheral.address.replace(':', '_')}"
        self.connected = False
        self.resolved = False
        self.connects = 0
        self._gatt_paths: list[str] = []
        self._mtu_task: asyncio.Task[None] | None = None
        peripheral.device = self

    def require_connected(self) -> None:
        if not self.connected:
            raise DBusError(ERR_NOT_CONNECTED, "Not Connected")

    def _set(self, **changed: object) -> None:
        self.emit_properties_changed(changed)

    def _export_gatt(self) -> list[Characteristic]:
        chars, handle = [], 0x000C
        for spec in self.p.gatt:
            spath = f"{self.path}/service{handle:04x}"
            self.bus.export(spath, Service(self.path, spec))
            self._gatt_paths.append(spath)
            for cspec in spec.chars:
                handle += 2
                c = Characteristic(self, spath, cspec, DEFAULT_MTU if self.p.mtu_delay_s else self.p.mtu)
                cspec.iface = c
                cpath = f"{spath}/char{handle:04x}"
                self.bus.export(cpath, c)
                self._gatt_paths.append(cpath)
                chars.append(c)
            handle = (handle + 0x10) & ~0x3
        return chars

    async def _finish_mtu_exchange(self, chars: list[Characteristic]) -> None:
        await asyncio.sleep(self.p.mtu_delay_s)
        for c in chars:
            c.set_mtu(self.p.mtu)

    @method()
    async def Connect(self):
        await self.connect()

    async def connect(self) -> None:
        """The link comes up: from a client's Connect, or BlueZ reconnecting a known device by itself."""
        if self.p.fail_connects:
            raise DBusError(*self.p.fail_connects.pop(0))
        if self.connected:
            return
        if not self.p.in_range:
            await asyncio.sleep(0.05)  # the controller's connection attempt timing out
            raise DBusError(ERR_FAILED, "Software caused connection abort")
        self.connected = True
        self.connects += 1
        self._set(Connected=True)
        chars = self._export_gatt()
        if self.p.mtu_delay_s:
            self._mtu_task = asyncio.create_task(self._finish_mtu_exchange(chars))
        self.resolved = True
        self._set(ServicesResolved=True)
        self.p.connection_changed(True)

    @method()
    def Disconnect(self):
        self.drop()

    def drop(self) -> None:
        """The link goes down (host request, or the device went out of range)."""
        if not self.connected:
            return
        if self._mtu_task is not None:
            self._mtu_task.cancel()
        self.connected = self.resolved = False
        for spec in self.p.gatt:
            for c in spec.chars:
                c.iface = None
        self.p.connection_changed(False)
        self._set(ServicesResolved=False)
        self._set(Connected=False)
        for path in reversed(self._gatt_paths):
            self.bus.unexport(path)
        self._gatt_paths.clear()

    def advertise(self) -> None:
        self.p.rssi += 1 if self.p.rssi < -60 else -1  # a live RSSI, as scans report it
        self._set(RSSI=self.p.rssi)

    @dbus_property(access=R)
    def Address(self) -> "s":  # noqa: F821
        return self.p.address

    @dbus_property(access=R)
    def AddressType(self) -> "s":  # noqa: F821
        return "public"

    @dbus_property(access=R)
    def Name(self) -> "s":  # noqa: F821
        return self.p.name

    @dbus_property(access=R)
    def Alias(self) -> "s":  # noqa: F821
        return self.p.name

    @dbus_property(access=R)
    def Adapter(self) -> "o":  # noqa: F821
        return ADAPTER_PATH

    @dbus_property(access=R)
    def RSSI(self) -> "n":  # noqa: F821
        return self.p.rssi

    @dbus_property(access=R)
    def UUIDs(self) -> "as":
        return self.p.advertised

    @dbus_property(access=R)
    def Connected(self) -> "b":  # noqa: F821
        return self.connected

    @dbus_property(access=R)
    def ServicesResolved(self) -> "b":  # noqa: F821
        return self.resolved

    @dbus_property(access=R)
    def Paired(self) -> "b":  # noqa: F821
        return False

    @dbus_property(access=R)
    def Trusted(self) -> "b":  # noqa: F821
        return False


class Adapter(ServiceInterface):
    def __init__(self, server: "FakeBlueZ") -> None:
        super().__init__("org.bluez.Adapter1")
        self.server = server
        self.discovering = False
        self.filters: dict[str, Variant] = {}
        self._advertising: asyncio.Task[None] | None = None

    async def _advertise(self) -> None:
        while True:
            self.server.advertise_once()
            await asyncio.sleep(self.server.advertise_interval_s)

    @method()
    def SetDiscoveryFilter(self, filters: "a{sv}"):
        self.filters = filters

    @method()
    def StartDiscovery(self):
        if self.discovering:
            raise DBusError(ERR_IN_PROGRESS, "Operation already in progress")
        self.discovering = True
        self.emit_properties_changed({"Discovering": True})
        self._advertising = asyncio.create_task(self._advertise())

    @method()
    def StopDiscovery(self):
        if not self.discovering:
            raise DBusError("org.bluez.Error.Failed", "No discovery started")
        self.stop()

    def stop(self) -> None:
        if self._advertising is not None:
            self._advertising.cancel()
            self._advertising = None
        if self.discovering:
            self.discovering = False
            self.emit_properties_changed({"Discovering": False})

    @method()
    def RemoveDevice(self, device: "o"):  # noqa: F821
        self.server.forget(device)

    @dbus_property(access=R)
    def Address(self) -> "s":  # noqa: F821
        return "00:1A:7D:DA:71:13"

    @dbus_property(access=R)
    def Name(self) -> "s":  # noqa: F821
        return "edge-agent-test"

    @dbus_property(access=R)
    def Powered(self) -> "b":  # noqa: F821
        return self.server.powered

    @dbus_property(access=R)
    def Discovering(self) -> "b":  # noqa: F821
        return self.discovering

    @dbus_property(access=R)
    def Roles(self) -> "as":
        return ["central", "peripheral"]


class FakeBlueZ:
    """The fake bluetoothd: one adapter and the peripherals in range of it."""

    def __init__(self, advertise_interval_s: float = 0.05, *, powered: bool = True, adapter: bool = True) -> None:
        self.advertise_interval_s = advertise_interval_s
        self.powered = powered  # False: an adapter switched off (bluetoothctl power off)
        self.has_adapter = adapter  # False: bluetoothd running without any adapter
        self.peripherals: dict[str, Peripheral] = {}
        self.devices: dict[str, Device] = {}  # by path: those BlueZ has seen
        self.bus: MessageBus | None = None
        self.adapter: Adapter | None = None

    async def start(self) -> "FakeBlueZ":
        self.bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        reply = await self.bus.request_name(BLUEZ, NameFlag.DO_NOT_QUEUE)
        if reply is not RequestNameReply.PRIMARY_OWNER:
            raise RuntimeError(f"could not own {BLUEZ} on the test bus: {reply}")
        if self.has_adapter:
            self.adapter = Adapter(self)
            self.bus.export(ADAPTER_PATH, self.adapter)
        return self

    async def stop(self) -> None:
        if self.adapter is not None:
            self.adapter.stop()
        for d in self.devices.values():
            d.drop()
        if self.bus is not None:
            self.bus.disconnect()
            await self.bus.wait_for_disconnect()
            self.bus = None

    def add(self, peripheral: Peripheral) -> Peripheral:
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    def device(self, address: str) -> Device:
        for d in self.devices.values():
            if d.p.address == address:
                return d
        raise KeyError(address)

    def advertise_once(self) -> None:
        assert self.bus is not None
        for p in self.peripherals.values():
            if not p.in_range or p.connected:
                continue  # a connected strap stops advertising
            d = next((d for d in self.devices.values() if d.p is p), None)
            if d is None:
                d = Device(self.bus, p)
                self.devices[d.path] = d
                self.bus.export(d.path, d)  # InterfacesAdded: a new advertiser
            else:
                d.advertise()

    def forget(self, path: str) -> None:
        d = self.devices.pop(path, None)
        if d is None:
            raise DBusError("org.bluez.Error.DoesNotExist", "Does Not Exist")
        d.drop()
        assert self.bus is not None
        self.bus.unexport(path)

    def go_out_of_range(self, address: str) -> None:
        """The strap walks away: the link drops and it stops advertising."""
        p = self.peripherals[address]
        p.in_range = False
        if p.device is not None:
            p.device.drop()

    def come_back(self, address: str) -> None:
        self.peripherals[address].in_range = True
