"""Heart Rate Measurement notifications to Chunks and Quality events.

Pure and synchronous (bytes and arrival time in, chunks out), shared by the
heart-rate strap driver and the Polar H10 driver. A strap that reports no
skin contact produces a Quality event, not heart-rate data; malformed
notifications are counted and dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agent.plugin import Chunk, Modality, ProtocolError, Quality, StreamSpec
from drivers.ble.beats import BeatTimeline
from drivers.ble.hrs import Contact, decode_heart_rate

RR = StreamSpec("rr", Modality.RR, ("rr",), "s", None)
HR = StreamSpec("hr", Modality.HR, ("hr",), "bpm", None)
ENERGY = StreamSpec("energy", Modality.OTHER, ("energy_expended",), "kJ", None)
BATTERY = StreamSpec("battery", Modality.OTHER, ("battery",), "%", None)


class HeartRateStreams:
    def __init__(self, device_id: str, log: Any = None) -> None:
        self.device_id = device_id
        self.log = log
        self.timeline = BeatTimeline()
        self._seq: dict[str, int] = {}
        self._contact_ok: bool | None = None
        self.notifications = 0
        self.malformed = 0
        self.artifacts = 0

    def _chunk(self, spec: StreamSpec, t: np.ndarray, x: np.ndarray, skip: int = 0) -> Chunk:
        seq = self._seq.get(spec.name, 0) + skip
        chunk = Chunk(self.device_id, spec, seq, t, x)
        self._seq[spec.name] = chunk.next_seq
        return chunk

    def link_lost(self) -> None:
        """The connection dropped: beats were missed, and contact is unknown again."""
        self.timeline.break_continuity()

    def on_notification(self, data: bytes | bytearray, arrival: float) -> list[Chunk | Quality]:
        self.notifications += 1
        try:
            m = decode_heart_rate(data)
        except ProtocolError as exc:
            self.malformed += 1
            if self.log is not None:
                self.log.warning("ble.hr.malformed", error=str(exc), count=self.malformed)
            return []

        out: list[Chunk | Quality] = []
        if m.contact is Contact.NOT_DETECTED:
            if self._contact_ok is not False:
                self._contact_ok = False
                self.timeline.break_continuity()
                out += [Quality(self.device_id, s.name, arrival, False, "no skin contact") for s in (HR, RR)]
            return out  # numbers from a strap off the skin are not a heart
        if self._contact_ok is False:
            out += [Quality(self.device_id, s.name, arrival, True, "skin contact restored") for s in (HR, RR)]
        self._contact_ok = True

        if m.heart_rate > 0:  # straps report 0 until they have locked on to a beat
            out.append(self._chunk(HR, np.array([arrival]), np.array([m.heart_rate], dtype=np.float32)))
        if m.energy_kj is not None:
            out.append(self._chunk(ENERGY, np.array([arrival]), np.array([m.energy_kj], dtype=np.float32)))
        if m.rr_raw:
            beats = self.timeline.add(m.rr_raw, arrival)
            self.artifacts += beats.artifacts
            if len(beats.t):
                out.append(self._chunk(RR, beats.t, beats.rr_s.astype(np.float32), skip=beats.missed))
        return out

    def on_battery(self, level: int, t: float) -> Chunk:
        return self._chunk(BATTERY, np.array([t]), np.array([level], dtype=np.float32))
