"""Heart Rate Service codecs: the 0x2A37 measurement, body sensor location, battery.

Pure functions over bytes (Bluetooth HRS 1.0 §3.1.1; sensor-protocols.md §1).
Every malformed input raises :class:`~agent.errors.ProtocolError` and
nothing else, so the driver can count it and keep going.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from agent.plugin import ProtocolError

RR_UNITS_PER_S = 1024  # RR intervals are in 1/1024 s

_HR_UINT16 = 0x01
_CONTACT_DETECTED = 0x02
_CONTACT_SUPPORTED = 0x04
_ENERGY_PRESENT = 0x08
_RR_PRESENT = 0x10


class Contact(enum.Enum):
    """Skin contact as the strap reports it."""

    UNSUPPORTED = "unsupported"  # the strap cannot tell: trust the data
    DETECTED = "detected"
    NOT_DETECTED = "not-detected"  # strap off the skin: its numbers are not a heart


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One decoded 0x2A37 notification. ``rr_raw`` is oldest first, in 1/1024 s."""

    heart_rate: int
    contact: Contact = Contact.UNSUPPORTED
    energy_kj: int | None = None
    rr_raw: tuple[int, ...] = ()
    hr_uint16: bool = False  # the wire format used for heart_rate (kept so encoding round-trips)
    rr_present: bool = False  # the RR flag; set with an empty rr_raw it is invalid on the wire

    @property
    def rr_s(self) -> tuple[float, ...]:
        return tuple(r / RR_UNITS_PER_S for r in self.rr_raw)


def decode_heart_rate(data: bytes | bytearray | memoryview) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement notification."""
    b = bytes(data)
    if not b:
        raise ProtocolError("heart rate measurement: empty notification")
    flags = b[0]
    pos = 1
    uint16 = bool(flags & _HR_UINT16)
    width = 2 if uint16 else 1
    if len(b) < pos + width:
        raise ProtocolError(f"heart rate measurement: {len(b)} bytes, too short for the heart rate field")
    hr = int.from_bytes(b[pos : pos + width], "little")
    pos += width
    energy = None
    if flags & _ENERGY_PRESENT:
        if len(b) < pos + 2:
            raise ProtocolError("heart rate measurement: energy-expended flag set but the field is missing")
        energy = int.from_bytes(b[pos : pos + 2], "little")
        pos += 2
    rest = b[pos:]
    rr_present = bool(flags & _RR_PRESENT)
    if rr_present:
        if not rest:
            raise ProtocolError("heart rate measurement: RR flag set but no RR intervals follow")
        if len(rest) % 2:
            raise ProtocolError(f"heart rate measurement: {len(rest)} RR bytes, not a whole number of uint16")
        rr = tuple(int.from_bytes(rest[i : i + 2], "little") for i in range(0, len(rest), 2))
    elif rest:
        raise ProtocolError(f"heart rate measurement: {len(rest)} unexpected trailing bytes")
    else:
        rr = ()
    if flags & _CONTACT_SUPPORTED:
        contact = Contact.DETECTED if flags & _CONTACT_DETECTED else Contact.NOT_DETECTED
    else:
        contact = Contact.UNSUPPORTED  # a "detected" bit without "supported" means nothing
    return HeartRateMeasurement(hr, contact, energy, rr, uint16, rr_present)


def encode_heart_rate(m: HeartRateMeasurement) -> bytes:
    """The wire form of ``m`` (the simulator side, and round-trip tests)."""
    if m.rr_raw and not m.rr_present:
        raise ValueError("rr_raw given without rr_present")
    flags = 0
    if m.hr_uint16:
        flags |= _HR_UINT16
    if m.contact is not Contact.UNSUPPORTED:
        flags |= _CONTACT_SUPPORTED
        if m.contact is Contact.DETECTED:
            flags |= _CONTACT_DETECTED
    if m.energy_kj is not None:
        flags |= _ENERGY_PRESENT
    if m.rr_present:
        flags |= _RR_PRESENT
    out = bytearray([flags])
    out += m.heart_rate.to_bytes(2 if m.hr_uint16 else 1, "little")
    if m.energy_kj is not None:
        out += m.energy_kj.to_bytes(2, "little")
    for r in m.rr_raw:
        out += r.to_bytes(2, "little")
    return bytes(out)


class BodySensorLocation(enum.IntEnum):
    OTHER = 0
    CHEST = 1
    WRIST = 2
    FINGER = 3
    HAND = 4
    EAR_LOBE = 5
    FOOT = 6


def decode_body_sensor_location(data: bytes | bytearray) -> BodySensorLocation:
    b = bytes(data)
    if len(b) != 1:
        raise ProtocolError(f"body sensor location: expected 1 byte, got {len(b)}")
    try:
        return BodySensorLocation(b[0])
    except ValueError:
        raise ProtocolError(f"body sensor location: reserved value {b[0]}") from None


def decode_battery_level(data: bytes | bytearray) -> int:
    b = bytes(data)
    if len(b) != 1 or b[0] > 100:
        raise ProtocolError(f"battery level: expected one byte 0-100, got {b.hex(' ') or 'nothing'}")
    return b[0]
