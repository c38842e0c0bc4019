"""The thread at the edge: one inlet, pulled into a preallocated buffer.

pylsl blocks, so it runs here and nowhere else. The thread owns its inlet
from start to end (liblsl inlets are not shared between threads), turns
every pull into a :class:`~agent.base.stream.Chunk` and hands it to the event
loop with ``call_soon_threadsafe``. It never waits on the loop: the queue on
the other side is bounded and drops the oldest chunk, which shows up
downstream as a jump in ``seq``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.plugin import Chunk, Clock
from drivers.lsl.layout import Layout
from drivers.lsl.lib import LostError, pylsl
from drivers.lsl.timeline import Timeline, plausible, to_agent_time


@dataclass(frozen=True, slots=True)
class StreamLost:
    """liblsl gave up on the stream (it could not recover it by itself)."""

    reason: str


@dataclass(frozen=True, slots=True)
class ReaderFailed:
    """The pull loop failed in a way that is not a lost stream."""

    error: BaseException


@dataclass(frozen=True, slots=True)
class StampsDropped:
    """The first pull of a connection whose stamps no pulled sample can have (``timeline.plausible``)."""

    samples: int
    age_s: float  # the oldest dropped stamp's age (negative: ahead of now)


ReaderItem = Chunk | StreamLost | ReaderFailed | StampsDropped


class InletReader:
    """Pulls one inlet in its own thread until stopped."""

    def __init__(
        self,
        inlet: Any,
        layout: Layout,
        timeline: Timeline,
        *,
        device_id: str,
        clock: Clock,
        loop: asyncio.AbstractEventLoop,
        post: Callable[[ReaderItem], object],
        max_samples: int,
        max_age_s: float,
        wait_s: float = 0.1,
    ) -> None:
        self._inlet: Any = inlet
        self._layout = layout
        self._timeline = timeline
        self._device_id = device_id
        self._clock = clock
        self._loop = loop
        self._post = post
        self._max_samples = max_samples
        self._wait_s = wait_s  # how long one pull may wait for data: bounds how fast stop() is seen
        self._max_age_s = max_age_s  # the oldest stamp a pulled sample can have
        # liblsl writes every pull into this one buffer; each Chunk gets its own converted copy.
        self._buf = np.empty((max_samples, layout.spec.n_channels), dtype=layout.dtype)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lsl-inlet:{device_id}", daemon=True)
        self.pulls = 0
        self.samples = 0
        self.dropped = 0  # samples with stamps no pulled sample can have: counted, never placed

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread (and the inlet it destroys) to finish; True if it did."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _send(self, item: ReaderItem) -> bool:
        try:
            self._loop.call_soon_threadsafe(self._post, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stop.set()
            return False
        return True

    def _run(self) -> None:
        spec, scale = self._layout.spec, self._layout.scale
        try:
            while not self._stop.is_set():
                view, lsl_t = self._inlet.pull_chunk(
                    timeout=self._wait_s,
                    max_samples=self._max_samples,
                    dest_obj=self._buf,
                    min_samples=1,
                    as_numpy=True,
                )
                n = len(lsl_t)
                if n == 0:
                    continue
                lsl_now, agent_now = pylsl.local_clock(), self._clock.now()
                self.pulls += 1
                self.samples += n
                x = view.astype(np.float32)  # a fresh array: the buffer is reused by the next pull
                if scale is not None:
                    x *= scale
                lsl_t = np.array(lsl_t, dtype=np.float64)
                ok = plausible(lsl_t, lsl_now=lsl_now, max_age_s=self._max_age_s)
                if not ok.all():
                    if not self.dropped:
                        self._send(StampsDropped(int((~ok).sum()), round(float(lsl_now - lsl_t[~ok].min()), 3)))
                    self.dropped += int((~ok).sum())
                    x, lsl_t = x[ok], lsl_t[ok]
                    if not len(lsl_t):
                        continue
                t = to_agent_time(lsl_t, lsl_now=lsl_now, agent_now=agent_now, clock=self._clock)
                for start, stop, seq in self._timeline.place(lsl_t):
                    run = slice(start, stop)
                    self._send(Chunk(self._device_id, spec, seq, t[run], x[run], device_t=lsl_t[run]))
        except LostError as exc:
            self._send(StreamLost(str(exc) or "stream lost"))
        except Exception as exc:  # noqa: BLE001  (a thread must report, not die silently: the driver raises it)
            self._send(ReaderFailed(exc))
        finally:
            # Destroying an inlet joins liblsl's own threads: do it here, never on the loop.
            self._inlet = None
