"""bleak and BlueZ failures, translated at the boundary into the agent's errors.

BlueZ reports many passing conditions as D-Bus errors: a connect racing a
scan ("InProgress"), an adapter still settling ("NotReady"), a link that
failed to come up ("Failed: Software caused connection abort",
"le-connection-abort-by-local"), a device object removed when scanning
stopped ("UnknownObject", bleak's "not found"), and D-Bus timeouts.
Those are worth an immediate retry; anything else goes to the supervisor.
"""

from __future__ import annotations

from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakCharacteristicNotFoundError,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
)

from agent.errors import DeviceDisconnected, DeviceError, DeviceNotFound

TRANSIENT_DBUS_ERRORS = frozenset(
    {
        "org.bluez.Error.InProgress",
        "org.bluez.Error.NotReady",
        "org.bluez.Error.Failed",
        "org.bluez.Error.AlreadyConnected",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Timeout",
        "org.freedesktop.DBus.Error.UnknownObject",
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying at once (after a short backoff) may well succeed."""
    if isinstance(exc, BleakDBusError):
        return exc.dbus_error in TRANSIENT_DBUS_ERRORS
    if isinstance(exc, BleakBluetoothNotAvailableError | BleakGATTProtocolError | BleakCharacteristicNotFoundError):
        return False
    if isinstance(exc, BleakDeviceNotFoundError | TimeoutError | EOFError | ConnectionError):
        return True
    # bleak says this when the link drops while services are being resolved
    return isinstance(exc, BleakError) and "disconnected" in str(exc).lower()


def needs_rescan(exc: BaseException) -> bool:
    """BlueZ forgot the device object (removed after a scan ended): scan again first."""
    if isinstance(exc, BleakDBusError):
        return exc.dbus_error == "org.freedesktop.DBus.Error.UnknownObject"
    return isinstance(exc, BleakDeviceNotFoundError)


def translate(exc: BaseException, target: str, doing: str) -> DeviceError:
    """The agent error for a bleak failure while ``doing`` something with ``target``."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    message = f"{target}: {doing} failed ({detail})"
    if isinstance(exc, BleakDeviceNotFoundError):
        return DeviceNotFound(message)
    if isinstance(exc, BleakBluetoothNotAvailableError):
        return DeviceError(f"{target}: Bluetooth is not available ({exc})")
    if (
        isinstance(exc, EOFError | ConnectionError)
        or "disconnected" in str(exc).lower()
        or "not connected" in str(exc).lower()
    ):
        return DeviceDisconnected(message)
    return DeviceError(message)
