"""A scripted device for supervisor tests: it streams a ramp and fails on cue.

It is a real driver (options, context, async context, chunks()) whose
failures are chosen by the test, so each supervisor behaviour can be
provoked on purpose without timing luck.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import ClassVar, Literal

import numpy as np

from agent.base.driver import Discovered, DriverContext, DriverOptions, DriverPlugin
from agent.base.stream import Chunk, Modality, StreamSpec
from agent.errors import ConfigError, DeviceDisconnected, DeviceNotFound

SPEC = StreamSpec("ramp", Modality.OTHER, ("v",), "1", 50.0)
EDA_SPEC = StreamSpec("ramp", Modality.EDA, ("v",), "uS", 50.0)  # a stream the core ticks on


class ScriptedOptions(DriverOptions):
    chunk: int = 5
    # What each connection does after ``after`` chunks, in order; the last one repeats.
    sessions: tuple[Literal["disconnect", "stall", "crash", "skip", "end", "forever"], ...] = ("forever",)
    after: int = 4
    refuse_connects: int = 0  # the first N connection attempts fail with DeviceNotFound
    channel: str = "v"  # anything else is a setting only found wrong on connecting
    eda: bool = False  # stream the ramp as skin conductance, so the core makes decisions from it


class ScriptedDriver:
    options: ClassVar[type[DriverOptions]] = ScriptedOptions

    def __init__(self, options: ScriptedOptions, context: DriverContext) -> None:
        self.opts = options
        self.ctx = context
        self.attempts = 0
        self.sessions = 0
        self.seq = 0

    @classmethod
    async def discover(cls, timeout_s: float) -> list[Discovered]:
        return [Discovered("scripted", "Scripted", "scripted:0")]

    async def __aenter__(self) -> ScriptedDriver:
        self.attempts += 1
        if self.opts.channel != "v":
            raise ConfigError(f"channel {self.opts.channel!r} does not exist on this device; it has: v")
        if self.attempts <= self.opts.refuse_connects:
            raise DeviceNotFound("not advertising")
        self.sessions += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def chunks(self) -> AsyncIterator[Chunk]:
        plan = self.opts.sessions[min(self.sessions, len(self.opts.sessions)) - 1]
        n = self.opts.chunk
        period = n / SPEC.rate_hz
        sent = 0
        while True:
            if sent == self.opts.after:
                if plan == "disconnect":
                    raise DeviceDisconnected("link lost")
                if plan == "stall":
                    await asyncio.Event().wait()  # connected, silent
                if plan == "crash":
                    raise KeyError("bug in driver")
                if plan == "end":
                    return
                if plan == "skip":
                    self.seq += 3 * n  # the device lost three chunks' worth on its side
            await self.ctx.clock.sleep(period)
            now = self.ctx.clock.now()
            t = now - period + (np.arange(n) + 1) / SPEC.rate_hz
            yield Chunk(self.ctx.device_id, EDA_SPEC if self.opts.eda else SPEC, self.seq, t, np.arange(self.seq, self.seq + n, dtype=np.float32))
            self.seq += n
            sent += 1


SCRIPTED = DriverPlugin(
    name="scripted",
    summary="test device that fails on cue",
    options=ScriptedOptions,
    target="tests.support.scripted:ScriptedDriver",
)

MISSING_LIBRARY = DriverPlugin(
    name="needs-vendor-lib",
    summary="a driver whose vendor library is not installed",
    options=ScriptedOptions,
    target="vendor_library_that_is_not_installed.driver:Driver",
    extra="vendor",
)
