"""What both BLE drivers share: the connection lifecycle and the chunk loop.

The loop waits for notifications with a stall timeout and escalates a
silent link in two steps: first resubscribe (and restart the device's
streams), then raise :class:`~agent.errors.DeviceStalled` so the supervisor
reconnects. A driver instance can be entered again after it exits; it then
reconnects and starts its streams again by itself, keeping its sequence
counters so the gap shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Self

from agent.plugin import Chunk, DeviceError, DeviceStalled, DriverContext, ProtocolError, Quality
from drivers.ble.hr_streams import HeartRateStreams
from drivers.ble.hrs import BodySensorLocation, decode_battery_level, decode_body_sensor_location
from drivers.ble.link import BleLink, Notification
from drivers.ble.options import BleOptions
from drivers.ble.uuids import BATTERY_LEVEL, BODY_SENSOR_LOCATION, HEART_RATE_MEASUREMENT


class BleDriverBase:
    def __init__(self, options: BleOptions, context: DriverContext, *, services: tuple[str, ...]) -> None:
        self.config = options
        self.context = context
        self.log = context.log
        self.link = BleLink(options, context, services=services)
        self.hr = HeartRateStreams(context.device_id, context.log)
        self.body_location: BodySensorLocation | None = None
        self.battery: int | None = None
        self.stalls = 0
        self._pending: list[Chunk | Quality] = []
        self._battery_due = 0.0
        self._sessions = 0

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.link.connect()
        try:
            if self._sessions:
                self.hr.link_lost()
            await self._start()
        except BaseException:
            await self.link.close()
            raise
        self._sessions += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.link.client is not None and self.link.client.is_connected:
                await self._stop()
        except Exception as exc:  # noqa: BLE001 - best effort: the strap stops by itself when the link goes
            self.log.info("ble.stop.failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            await self.link.close()

    async def _start(self) -> None:
        """Subscribe and start the device's streams (after every connect)."""
        raise NotImplementedError

    async def _stop(self) -> None:
        """Politely stop the device's streams before disconnecting."""

    async def _restart_streams(self) -> None:
        """After a silent spell: resubscribe, and restart what the device needs restarting."""
        await self.link.resubscribe()

    def _route(self, n: Notification) -> list[Chunk | Quality]:
        raise NotImplementedError

    # -- shared pieces --------------------------------------------------------

    async def _start_heart_rate(self) -> None:
        if not self.link.has(HEART_RATE_MEASUREMENT):
            raise DeviceError(
                f"{self.config.target}: no Heart Rate Measurement characteristic; is it a heart-rate strap?"
            )
        if self.link.has(BODY_SENSOR_LOCATION):
            try:
                self.body_location = decode_body_sensor_location(await self.link.read(BODY_SENSOR_LOCATION))
                self.log.info("ble.body_sensor_location", location=self.body_location.name.lower())
            except ProtocolError as exc:
                self.log.warning("ble.body_sensor_location.malformed", error=str(exc))
        await self.link.subscribe(HEART_RATE_MEASUREMENT)

    async def _poll_battery(self) -> None:
        now = self.context.clock.now()
        if now < self._battery_due or not self.link.has(BATTERY_LEVEL):
            return
        self._battery_due = now + self.config.battery_poll_s
        try:
            self.battery = decode_battery_level(await self.link.read(BATTERY_LEVEL))
        except ProtocolError as exc:
            self.log.warning("ble.battery.malformed", error=str(exc))
            return
        self._pending.append(self.hr.on_battery(self.battery, now))

    # -- the chunk loop -------------------------------------------------------

    async def chunks(self) -> AsyncIterator[Chunk | Quality]:
        timeout = self.config.stall_timeout_s
        resubscribed = False
        while True:
            await self._poll_battery()
            while self._pending:
                yield self._pending.pop(0)
            n = await self.link.next(timeout)
            if n is None:
                if resubscribed:
                    raise DeviceStalled(
                        f"{self.config.target}: connected but silent for {2 * timeout:g} s, even after resubscribing"
                    )
                self.stalls += 1
                self.log.warning("ble.stall.resubscribe", silent_s=timeout)
                await self._restart_streams()
                resubscribed = True
                continue
            resubscribed = False
            for item in self._route(n):
                yield item

    def stats(self) -> dict[str, Any]:
        return {
            "connects": self.link.connects,
            "transient_retries": self.link.transient_retries,
            "stalls": self.stalls,
            "queue_dropped": self.link.queue.dropped,
            "hr_malformed": self.hr.malformed,
            "rr_artifacts": self.hr.artifacts,
        }
