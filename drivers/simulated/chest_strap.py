"""A simulated BLE heart-rate chest strap.

Like a real strap it notifies about once a second, carrying the RR
intervals of the beats that finished since the previous notification
(quantised to 1/1024 s, as the Heart Rate Measurement characteristic
carries them) and its heart rate, a rounded average of the last few beats.

Faults: a dropped notification loses its beats (``dropout``); a
``noise_burst`` is motion artefact that corrupts RR; on ``contact_loss`` the
strap reports ``Quality(ok=False, reason="no skin contact")`` for both
streams and sends no RR or HR until contact returns, when it reports
``Quality(ok=True)``.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import ClassVar

import numpy as np

from agent.plugin import Chunk, DriverContext, Modality, Quality, StreamSpec
from drivers.simulated.cardiac import CardiacModel
from drivers.simulated.device import SimulatedDevice, kept_runs
from drivers.simulated.noise import block_rng, knot_values
from drivers.simulated.options import ChestStrapOptions, FaultKind

RR_SPEC = StreamSpec("rr", Modality.RR, ("rr",), "s", None)
HR_SPEC = StreamSpec("hr", Modality.HR, ("hr",), "bpm", None)
RR_RESOLUTION_S = 1.0 / 1024.0
HR_AVERAGE_BEATS = 4
NO_CONTACT = "no skin contact"
ARTEFACT_RR_SD_S = 0.15  # a motion artefact makes the strap mistime or miss beats


class SimulatedChestStrap(SimulatedDevice):
    options: ClassVar[type[ChestStrapOptions]] = ChestStrapOptions
    plugin_name = "sim-chest-strap"
    kind = "chest-strap"
    display_name = "Simulated heart-rate chest strap"
    specs = (RR_SPEC, HR_SPEC)

    def __init__(self, options: ChestStrapOptions, context: DriverContext) -> None:
        super().__init__(options, context)
        self.cardiac = CardiacModel.for_scenario(self.scenario)
        self._period = options.notify_period_s
        self._phase = float(block_rng(options.seed, "strap-notify", 0).uniform(0.0, self._period))

    def notification_time(self, k: int) -> float:
        return self._phase + k * self._period

    def measured_rr(self, s0: float, s1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(beat index, beat time, RR as the strap measures it) for beats in [s0, s1)."""
        idx, t, rr = self.cardiac.rr_intervals(s0, s1)
        burst = self.faults.mask(FaultKind.NOISE_BURST, t)
        if burst is not None:
            error = ARTEFACT_RR_SD_S * knot_values(self.opts.seed, "strap-artefact", idx)
            rr = np.where(burst, np.clip(rr + error, 0.25, 2.5), rr)
        return idx, t, np.round(rr / RR_RESOLUTION_S) * RR_RESOLUTION_S

    async def _generate(self, connected_at: float) -> AsyncIterator[Chunk | Quality]:
        k = max(0, math.ceil((connected_at - self._phase) / self._period))
        since = connected_at  # beats before the connection are never reported
        contact = True
        while True:
            s = self.notification_time(k)
            await self._wait_until(s)
            in_contact = self.faults.active(FaultKind.CONTACT_LOSS, s) is None
            if in_contact != contact:
                contact = in_contact
                for spec in self.specs:
                    yield self._quality(spec, s, contact)
            if contact and self.faults.active(FaultKind.DROPOUT, s) is None:
                for chunk in self._notification(k, since, s):
                    yield chunk
            since = s
            k += 1

    def _quality(self, spec: StreamSpec, s: float, ok: bool) -> Quality:
        reason = "skin contact restored" if ok else NO_CONTACT
        return Quality(self.context.device_id, spec.name, self.clock.origin + s, ok, reason)

    def _notification(self, k: int, since: float, s: float) -> list[Chunk]:
        device_id, origin = self.context.device_id, self.clock.origin
        out = []
        idx, t, rr = self.measured_rr(since, s)
        # Beats while the strap was off the skin (contact came back mid-interval) were never measured.
        lost = self.faults.mask(FaultKind.CONTACT_LOSS, t)
        # RR seq counts intervals: interval i ends at beat i + 1.
        for i, j in kept_runs(lost if lost is not None else np.zeros(t.size, dtype=bool)):
            out.append(Chunk(device_id, RR_SPEC, int(idx[i]) - 1, origin + t[i:j], rr[i:j]))
        _, _, recent = self.measured_rr(s - 3.0 * HR_AVERAGE_BEATS, s)
        if recent.size:
            hr = round(60.0 / float(np.mean(recent[-HR_AVERAGE_BEATS:])))
            out.append(Chunk(device_id, HR_SPEC, k, np.array([origin + s]), np.array([hr], dtype=np.float32)))
        return out
