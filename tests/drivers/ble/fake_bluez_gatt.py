"""The fake BlueZ's GATT objects: ``org.bluez.GattService1`` and
``org.bluez.GattCharacteristic1`` (ReadValue, WriteValue, StartNotify,
StopNotify; UUID, Service, Value, Notifying, Flags, MTU). A notification or
indication is a ``PropertiesChanged`` on ``Value``, as bluetoothd sends it.
Test infrastructure; see :mod:`fake_bluez`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from dbus_fast import DBusError
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

R = PropertyAccess.READ


class LinkState(Protocol):
    def require_connected(self) -> None: ...


@dataclass
class CharSpec:
    """One characteristic of a peripheral's GATT table, and its behaviour."""

    uuid: str
    flags: list[str]
    value: bytes = b""
    on_read: Callable[[], bytes] | None = None
    on_write: Callable[[bytes], None] | None = None
    on_subscribe: Callable[[bool], None] | None = None  # StartNotify (True) / StopNotify (False)
    iface: "Characteristic | None" = None  # set while connected

    def notify(self, data: bytes) -> bool:
        """Send a notification or indication; False if nobody subscribed."""
        c = self.iface
        if c is None or not c.notifying:
            return False
        c.value = data
        c.emit_properties_changed({"Value": data})
        return True

    @property
    def notifying(self) -> bool:
        return self.iface is not None and self.iface.notifying


@dataclass
class ServiceSpec:
    uuid: str
    chars: list[CharSpec] = field(default_factory=list)


class Characteristic(ServiceInterface):
    def __init__(self, device: LinkState, service_path: str, spec: CharSpec, mtu: int) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.device, self.service_path, self.spec = device, service_path, spec
        self.value, self.notifying, self.mtu = spec.value, False, mtu

    def set_mtu(self, mtu: int) -> None:
        self.mtu = mtu
        self.emit_properties_changed({"MTU": mtu})

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: F821
        self.device.require_connected()
        if "read" not in self.spec.flags:
            raise DBusError("org.bluez.Error.NotPermitted", "Read not permitted")
        if self.spec.on_read is not None:
            self.value = self.spec.on_read()
        return self.value

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):  # noqa: F821
        self.device.require_connected()
        if self.spec.on_write is not None:
            self.spec.on_write(bytes(value))

    @method()
    def StartNotify(self):
        self.device.require_connected()
        if not {"notify", "indicate"} & set(self.spec.flags):
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        self.notifying = True
        self.emit_properties_changed({"Notifying": True})
        if self.spec.on_subscribe is not None:
            self.spec.on_subscribe(True)

    @method()
    def StopNotify(self):
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})
        if self.spec.on_subscribe is not None:
            self.spec.on_subscribe(False)

    @dbus_property(access=R)
    def UUID(self) -> "s":  # noqa: F821
        return self.spec.uuid

    @dbus_property(access=R)
    def Service(self) -> "o":  # noqa: F821
        return self.service_path

    @dbus_property(access=R)
    def Value(self) -> "ay":  # noqa: F821
        return self.value

    @dbus_property(access=R)
    def Notifying(self) -> "b":  # noqa: F821
        return self.notifying

    @dbus_property(access=R)
    def Flags(self) -> "as":
        return self.spec.flags

    @dbus_property(access=R)
    def MTU(self) -> "q":  # noqa: F821
        return self.mtu


class Service(ServiceInterface):
    def __init__(self, device_path: str, spec: ServiceSpec) -> None:
        super().__init__("org.bluez.GattService1")
        self.device_path, self.spec = device_path, spec

    @dbus_property(access=R)
    def UUID(self) -> "s":  # noqa: F821
        return self.spec.uuid

    @dbus_property(access=R)
    def Primary(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=R)
    def Device(self) -> "o":  # noqa: F821
        return self.device_path
