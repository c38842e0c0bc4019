"""The LSL driver: resolve a stream, open an inlet, pull it at the edge, notice loss.

Importing this module fixes liblsl's network scope (through :mod:`drivers.lsl.lib`)
before pylsl loads. Every pylsl call that can wait runs in a thread: resolving
and opening through ``asyncio.to_thread``, pulling in one
:class:`~drivers.lsl.reader.InletReader` thread per connection.

Loss. With ``recover=True`` liblsl reconnects silently and pulls simply
return nothing meanwhile, so the driver watches the cadence itself: no
samples for ``loss_after_s`` means the stream is lost. It then yields
``Quality(ok=False)`` (the EEG must not vote), closes the inlet and resolves
the stream again; when it is back it yields ``Quality(ok=True)`` and the
next chunk's ``seq`` jumps by the samples missed, which the supervisor
reports as a :class:`~agent.base.events.Gap`. After ``give_up_after_s`` it raises
:class:`~agent.errors.DeviceDisconnected` and the supervisor's own
reconnect loop takes over (it enters this same instance again, so the count
carries on).

Stamps. A pulled sample's stamp cannot be older than the inlet's buffer holds, nor
ahead of now. liblsl has handed back stamps hours out right after it recovered a
stream by itself; such samples are counted and dropped (``lsl_stamps_dropped``),
never placed, or one would be a gap of millions of samples.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

from agent.plugin import (
    BoundedQueue,
    Chunk,
    ConfigError,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    Discovered,
    DriverContext,
    DriverOptions,
    Overflow,
    Quality,
    StreamSpec,
)
from drivers.lsl.layout import Layout, StreamHeader, build_layout, check_shape
from drivers.lsl.lib import SCOPE, LostError, LslTimeout, pylsl
from drivers.lsl.plugin import LslOptions
from drivers.lsl.reader import InletReader, ReaderFailed, ReaderItem, StampsDropped, StreamLost
from drivers.lsl.selection import choose, predicate
from drivers.lsl.timeline import Timeline

QUEUE_CHUNKS = 256  # ~10 s of Muse chunks: a stalled consumer loses the oldest, visibly (seq)
OPEN_TIMEOUT_S = 5.0  # each step of opening a stream that did answer the query
JOIN_TIMEOUT_S = 5.0
FULL_QUERY_S = 1.0  # long enough for liblsl's unicast query wave (MulticastMinRTT 0.5 s) to answer
RETRY_PAUSE_S = 0.5  # between attempts when a stream answers but cannot be used
STAMP_MARGIN_S = 5.0  # beyond the inlet's buffer: the oldest stamp a pulled sample can have (transit, a slow pull)


def _header(info: Any) -> StreamHeader:
    return StreamHeader(
        name=info.name(),
        type=info.type(),
        source_id=info.source_id(),
        hostname=info.hostname(),
        channel_count=info.channel_count(),
        channel_format=info.channel_format(),
        nominal_srate=info.nominal_srate(),
        uid=info.uid(),
        created_at=info.created_at(),
    )


def _resolve(pred: str, timeout_s: float, *, minimum: int = 1) -> list[tuple[StreamHeader, Any]]:
    return [(_header(i), i) for i in pylsl.resolve_bypred(pred, minimum, timeout_s)]


def _find(pred: str, timeout_s: float, previous: tuple[str, str, str, str] | None) -> list[tuple[StreamHeader, Any]]:
    """The streams matching ``pred``: all of them, unless the one we had before is among the first.

    liblsl answers ``minimum=1`` after its first query wave, which on loopback
    reaches one outlet only; the unicast wave that follows (~0.5 s) reaches
    them all. Before concluding that a stream is the only match, wait for it.
    """
    found = _resolve(pred, timeout_s)
    if found and not any(h.identity == previous for h, _ in found):
        seen = {h.uid for h, _ in found}
        found += [(h, i) for h, i in _resolve(pred, FULL_QUERY_S, minimum=len(found) + 1) if h.uid not in seen]
    return found


def _channel_desc(full: Any, n: int) -> tuple[list[str | None], list[str | None]]:
    """Labels and units from ``<desc><channels><channel>``, as far as they go."""
    labels: list[str | None] = []
    units: list[str | None] = []
    ch = full.desc().child("channels").child("channel")
    while not ch.empty() and len(labels) <= n:  # a description longer than the stream is ignored
        labels.append(ch.child_value("label") or None)
        units.append(ch.child_value("unit") or None)
        ch = ch.next_sibling("channel")
    return labels, units


class StreamChanged(DeviceError):
    """The stream that came back is not the one that was lost (other channels or format)."""


def _connect(header: StreamHeader, info: Any, opts: LslOptions, expected: StreamSpec | None) -> tuple[Any, Layout]:
    """Create, describe and connect an inlet (blocking: runs in a thread).

    An inlet that turns out unusable is destroyed here, in this thread,
    before the error leaves: destroying one joins liblsl's own threads.
    """
    inlet = pylsl.StreamInlet(
        info,
        max_buflen=opts.buffer_s,
        recover=True,
        processing_flags=pylsl.proc_clocksync | pylsl.proc_dejitter,  # no time_correction() on top
    )
    try:
        full = inlet.info(timeout=OPEN_TIMEOUT_S)  # the resolved header has no <desc>
        labels, units = _channel_desc(full, header.channel_count)
        layout = build_layout(header, labels=labels, units=units, label_override=opts.labels)
        if expected is not None and layout.spec != expected:
            raise StreamChanged(f"LSL stream {header.describe()} came back as {layout.spec}, expected {expected}")
        inlet.open_stream(timeout=OPEN_TIMEOUT_S)
        # Clock sync needs a first offset estimate (a few probes, ~0.5 s); take it
        # here, or the first pull waits for it and looks like a silent stream. The
        # value itself is not used: proc_clocksync already applies it.
        inlet.time_correction(timeout=OPEN_TIMEOUT_S)
    except (LslTimeout, LostError) as exc:
        inlet.close_stream()
        inlet = None
        raise DeviceDisconnected(f"LSL stream {header.describe()} did not open: {exc}") from exc
    except BaseException:
        inlet.close_stream()
        inlet = None
        raise
    return inlet, layout


class LslDriver:
    """Reads one LSL stream as Chunks on the agent clock."""

    options: ClassVar[type[DriverOptions]] = LslOptions

    def __init__(self, options: LslOptions, context: DriverContext) -> None:
        self._opts = options
        self._ctx = context
        self._log = context.log
        self._pred = predicate(options.selectors())
        # What outlives one connection (the supervisor enters this instance again):
        self._spec: StreamSpec | None = None
        self._timeline: Timeline | None = None
        self._identity: tuple[str, str, str, str] | None = None
        self._reader: InletReader | None = None
        self._queue: BoundedQueue[ReaderItem] = BoundedQueue(
            f"{context.device_id}/lsl", QUEUE_CHUNKS, Overflow.DROP_OLDEST
        )
        self._lost_at: float | None = None

    # -- the driver contract ---------------------------------------------------

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        """The EEG streams visible now (on loopback unless LSLAPICFG says otherwise)."""
        wait_s = max(timeout_s, FULL_QUERY_S)  # less would see one outlet per machine (see _find)
        infos = await asyncio.to_thread(lambda: [_header(i) for i in pylsl.resolve_streams(wait_time=wait_s)])
        return [
            Discovered("lsl", h.name, h.source_id or f"{h.name}@{h.hostname}", details=h.describe(),
                       options={"name": h.name, "source_id": h.source_id} if h.source_id else {"name": h.name})
            for h in sorted(infos, key=lambda h: (h.name, h.source_id))
            if h.type.strip().lower() == "eeg"
        ]

    async def __aenter__(self) -> Self:
        found = await asyncio.to_thread(_find, self._pred, self._opts.resolve_timeout_s, self._identity)
        picked = self._pick(found, previous=self._identity)
        if picked is None:
            raise DeviceNotFound(f"no LSL stream matches {self._pred} (waited {self._opts.resolve_timeout_s:g} s)")
        header, info = picked
        check_shape(header, channels=self._opts.channels, channel_format=self._opts.channel_format)
        inlet, layout = await asyncio.to_thread(_connect, header, info, self._opts, None)
        if self._spec is not None and layout.spec != self._spec:
            self._log.warning("lsl_stream_changed", before=str(self._spec), after=str(layout.spec))
            self._timeline = None  # a different stream: its count starts again
        if self._timeline is None:
            self._timeline = Timeline(layout.spec.rate_hz, jump_s=self._jump_s(layout.spec))
        else:
            self._timeline.mark_broken()  # entered again after a drop: there is a gap behind us
        self._spec = layout.spec
        self._start(header, inlet, layout)
        self._log.info(
            "lsl_connected",
            stream=header.describe(),
            channels=list(layout.spec.channels),
            labels_from=layout.labels_from,
            lsl_config=str(SCOPE.path),
            loopback=SCOPE.loopback,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close_reader()
        while self._queue.get_nowait() is not None:  # what the last connection left is stale now
            pass

    async def chunks(self) -> AsyncIterator[Chunk | Quality]:
        clock, spec = self._ctx.clock, self._spec
        if spec is None:
            raise RuntimeError("chunks() before connecting: use `async with driver:`")
        while True:
            try:
                async with clock.timeout(self._opts.loss_after_s):
                    item = await self._queue.get()
            except TimeoutError:
                # The deadline and a chunk can land in the same turn of the loop: a chunk already here is no loss.
                item = self._queue.get_nowait() or StreamLost(f"no samples for {self._opts.loss_after_s:g} s")
            if isinstance(item, Chunk):
                for out in self._release(item):
                    yield out
                continue
            if isinstance(item, StampsDropped):
                self._log.warning("lsl_stamps_dropped", samples=item.samples, age_s=item.age_s,
                                  max_age_s=self._opts.buffer_s + STAMP_MARGIN_S)
                continue
            if isinstance(item, ReaderFailed):
                raise DeviceDisconnected(f"LSL pull failed: {item.error!r}") from item.error
            if self._lost_at is None:
                self._lost_at = clock.now()
                self._log.warning("lsl_stream_lost", reason=item.reason)
                yield Quality(
                    self._ctx.device_id, spec.name, t=self._lost_at, ok=False, reason=f"lsl stream lost: {item.reason}"
                )
            # Reported before the thread is stopped: destroying its inlet joins liblsl's own
            # reconnecting thread, which can take seconds. What the thread sent meanwhile is
            # still this connection's data; it goes on, not voting, until the all-clear.
            for leftover in await self._close_reader():
                yield leftover
            assert self._timeline is not None
            self._timeline.mark_broken()
            await self._reacquire(since=self._lost_at)

    # -- internals ---------------------------------------------------------------

    def _release(self, chunk: Chunk) -> list[Chunk | Quality]:
        """A chunk, preceded by the all-clear when it is the first since a loss."""
        if self._lost_at is None:
            return [chunk]
        lost_for, self._lost_at = self._ctx.clock.now() - self._lost_at, None
        resumed = Quality(
            self._ctx.device_id, chunk.spec.name, t=float(chunk.t[0]), ok=True,
            reason="lsl stream resumed", details={"lost_s": round(lost_for, 3)},
        )  # fmt: skip
        return [resumed, chunk]

    @staticmethod
    def _jump_s(spec: StreamSpec) -> float:
        # Dejittered LSL stamps sit within microseconds of the rate grid; ten
        # samples (or 50 ms) late is a real hole, not jitter.
        return max(0.05, 10.0 / spec.rate_hz) if spec.rate_hz else 0.0

    def _pick(
        self, found: list[tuple[StreamHeader, Any]], previous: tuple[str, str, str, str] | None
    ) -> tuple[StreamHeader, Any] | None:
        header = choose([h for h, _ in found], wanted=self._pred, previous=previous)
        return None if header is None else next((h, i) for h, i in found if h is header)

    def _start(self, header: StreamHeader, inlet: Any, layout: Layout) -> None:
        assert self._timeline is not None
        self._identity = header.identity
        self._reader = InletReader(
            inlet,
            layout,
            self._timeline,
            device_id=self._ctx.device_id,
            clock=self._ctx.clock,
            loop=asyncio.get_running_loop(),
            post=self._queue.put,
            max_samples=self._opts.max_chunk,
            max_age_s=self._opts.buffer_s + STAMP_MARGIN_S,
        )
        self._reader.start()

    async def _close_reader(self) -> list[Chunk]:
        """Stop the pull thread (it destroys its inlet) and return chunks it had already sent."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.stop()
            if not await asyncio.to_thread(reader.join, JOIN_TIMEOUT_S):
                self._log.warning("lsl_reader_slow_to_stop", waited_s=JOIN_TIMEOUT_S)
            if reader.dropped:  # read once the thread has stopped counting
                self._log.warning("lsl_stamps_dropped_total", samples=reader.dropped)
            await asyncio.sleep(0)  # let its last call_soon_threadsafe posts land
        leftovers: list[Chunk] = []
        while (item := self._queue.get_nowait()) is not None:
            if isinstance(item, Chunk):
                leftovers.append(item)
        return leftovers

    async def _reacquire(self, since: float) -> None:
        """Resolve the stream again until it is back (same shape), or give up."""
        clock, deadline = self._ctx.clock, since + self._opts.give_up_after_s
        last_error = ""
        while (remaining := deadline - clock.now()) > 0:
            answered = await asyncio.to_thread(_find, self._pred, min(1.0, remaining), self._identity)
            # Only the stream that was lost: choosing another is for a full connect.
            found = [(h, i) for h, i in answered if h.identity == self._identity]
            try:
                picked = self._pick(found, previous=self._identity)
                if picked is not None:
                    header, info = picked
                    inlet, layout = await asyncio.to_thread(_connect, header, info, self._opts, self._spec)
                    self._start(header, inlet, layout)
                    self._log.info("lsl_stream_back", stream=header.describe())
                    return
            except (ConfigError, DeviceError) as exc:  # ambiguous, changed or half-open: keep looking
                if str(exc) != last_error:  # once per distinct problem, not every retry
                    last_error = str(exc)
                    self._log.warning("lsl_reacquire_failed", error=last_error)
            if answered:  # the query came back at once, with nothing usable: do not spin
                await clock.sleep(RETRY_PAUSE_S)
        raise DeviceDisconnected(f"LSL stream {self._pred} lost and not back after {self._opts.give_up_after_s:g} s")
