"""bleak and BlueZ failures, translated at the boundary into the agent's errors.

BlueZ reports many passing conditions as D-Bus errors: a connect racing a
scan ("InProgress"), an adapter still settling ("NotReady"), a link that
failed to come up ("Failed: Software caused connection abort",
"le-connection-abort-by-local"), a device object removed when scanning
stopped ("UnknownObject", bleak's "not found"), and D-Bus timeouts.
Those are worth an immediate retry; anything else goes to the supervisor.
"""

from __future__ import annotations

import getpass

from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakCharacteristicNotFoundError,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
)

from agent.plugin import DeviceDisconnected, DeviceError, DeviceNotFound

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


def cannot_scan(exc: BaseException) -> tuple[str, str] | None:
    """Why Bluetooth cannot scan at all, and the fix, in a technician's words (None: not one of those)."""
    user = getpass.getuser()
    denied = ("permission denied: this user may not use Bluetooth",
              f"add the user to the bluetooth group (usermod -aG bluetooth {user}) and log in again, "
              "or run as the service user")
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return ("no Bluetooth stack: the D-Bus system bus is not running",
                "install and start it: apt-get install dbus bluez; systemctl start dbus bluetooth")
    if isinstance(exc, PermissionError):
        return denied
    if isinstance(exc, BleakDBusError):
        if exc.dbus_error in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"):
            return ("no Bluetooth stack: the Bluetooth service (bluetoothd) is not running",
                    "systemctl start bluetooth (apt-get install bluez if it is missing)")
        if exc.dbus_error in ("org.freedesktop.DBus.Error.AccessDenied", "org.bluez.Error.NotAuthorized"):
            return denied
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = exc.reason
        if reason is BleakBluetoothNotAvailableReason.POWERED_OFF:
            return ("the Bluetooth adapter is powered off",
                    "bluetoothctl power on (if it stays off: rfkill unblock bluetooth)")
        if reason in (BleakBluetoothNotAvailableReason.DENIED_BY_USER, BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM):
            return denied
        return ("no Bluetooth adapter found", "plug in a Bluetooth adapter; check it with: bluetoothctl list; rfkill list")
    return None
