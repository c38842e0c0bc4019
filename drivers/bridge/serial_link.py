"""pyserial at the edge: one reader thread per port feeding a bounded queue.

pyserial blocks, so it never runs on the event loop. A thread reads
whatever has arrived, stamps it with the agent clock at arrival (the time
``DeviceClock`` needs) and hands it to the loop through a
:class:`~agent.base.queues.BoundedQueue`. A port that goes away (USB unplug, an
rfcomm link dropping, a pty master closing) surfaces as
:class:`~agent.errors.DeviceDisconnected` from :meth:`SerialLink.read`.
Used by the bridge and Shimmer drivers alike.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from typing import Any

import serial

from agent.plugin import BoundedQueue, Clock, DeviceDisconnected, DeviceError, DeviceNotFound, Overflow

_READ_TIMEOUT_S = 0.2  # how long close() may wait for the reader to notice
# After the first bytes of a burst, wait this long (in the reader thread) and
# take everything that came meanwhile: a 128 Hz device then wakes the event
# loop 20 times a second instead of twice per packet, for at most 50 ms of
# latency on signals (EDA) that change over seconds. It is the largest cost
# of a serial driver: 2.2 % of a core at 20 ms, 1.3 % at 50 ms (128 Hz).
COALESCE_S = 0.05
_NOT_THERE = {errno.ENOENT, errno.ENODEV, errno.ENXIO}


class _Closed:
    """Queued by the reader thread when the port fails; ends the stream."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause


def _open_error(port: str, exc: BaseException) -> DeviceError:
    err = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    code = getattr(err, "errno", None) or getattr(exc, "errno", None)
    if code in _NOT_THERE or isinstance(err, FileNotFoundError):
        return DeviceNotFound(f"serial port {port} is not there (unplugged, or the Bluetooth link is down)")
    if code == errno.EACCES:
        return DeviceError(f"no permission to open {port}: the service user needs the 'dialout' group")
    if code == errno.EBUSY or "lock" in str(exc).lower():
        return DeviceError(f"serial port {port} is in use by another program")
    return DeviceError(f"cannot open serial port {port}: {exc}")


class SerialLink:
    """An open serial port: ``read()`` bytes with their arrival time, ``write()`` bytes."""

    def __init__(
        self, port: str, baudrate: int, clock: Clock, *, capacity: int = 512, coalesce_s: float = COALESCE_S
    ) -> None:
        self.port = port
        self.coalesce_s = coalesce_s
        self.baudrate = baudrate
        self.clock = clock
        # Byte chunks, oldest dropped if the loop falls behind: the framing
        # layer then sees a damaged frame, counts it and resynchronises.
        self._queue: BoundedQueue[tuple[float, bytes] | _Closed] = BoundedQueue(
            f"serial:{port}", capacity, Overflow.DROP_OLDEST
        )
        self._ser: serial.Serial | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def dropped_chunks(self) -> int:
        return self._queue.dropped

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            self._ser = await asyncio.to_thread(
                serial.Serial, self.port, self.baudrate, timeout=_READ_TIMEOUT_S, write_timeout=2.0, exclusive=True
            )
        except (serial.SerialException, OSError) as exc:
            raise _open_error(self.port, exc) from exc
        self._ser.reset_input_buffer()  # bytes from before we opened belong to nobody
        self._thread = threading.Thread(target=self._read_forever, name=f"serial-reader:{self.port}", daemon=True)
        self._thread.start()

    def _post(self, item: tuple[float, bytes] | _Closed) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(self._queue.put, item)
        except RuntimeError:  # the loop closed between the check and the call
            return False
        return True

    def _read_forever(self) -> None:
        ser = self._ser
        assert ser is not None
        while not self._stop.is_set():
            try:
                data = ser.read(ser.in_waiting or 1)
                if data and self.coalesce_s > 0:
                    self._stop.wait(self.coalesce_s)
                    data += ser.read(ser.in_waiting)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's fd vanished under a concurrent close.
                if not self._stop.is_set():
                    self._post(_Closed(exc))
                return
            if data:
                self.bytes_in += len(data)
                if not self._post((self.clock.now(), data)):
                    return

    async def read(self) -> tuple[float, bytes]:
        """The next bytes and the agent time they arrived; DeviceDisconnected if the port went away."""
        item = await self._queue.get()
        if isinstance(item, _Closed):
            self._queue.put(item)  # every later read fails the same way
            raise DeviceDisconnected(f"serial port {self.port} went away: {item.cause}") from item.cause
        return item

    async def write(self, data: bytes) -> None:
        ser = self._ser
        if ser is None:
            raise DeviceDisconnected(f"serial port {self.port} is not open")
        try:
            await asyncio.to_thread(ser.write, data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(f"writing to {self.port} failed: {exc}") from exc
        self.bytes_out += len(data)

    async def close(self) -> None:
        self._stop.set()
        ser, thread = self._ser, self._thread
        self._ser = self._thread = None
        if ser is None:
            return
        try:
            ser.cancel_read()
        except (serial.SerialException, OSError):
            pass
        if thread is not None:
            await asyncio.to_thread(thread.join, 2 * _READ_TIMEOUT_S + 1.0)
        try:
            ser.close()
        except (serial.SerialException, OSError):
            pass

    def stats(self) -> dict[str, Any]:
        return {"bytes_in": self.bytes_in, "bytes_out": self.bytes_out, "dropped_chunks": self.dropped_chunks}
