"""The driver contract test, shipped so that a driver outside this repository can run it too.

::

    from agent.testing import check_driver
    from my_driver.plugin import MY_DRIVER

    def test_my_driver_honours_the_contract():
        check_driver(MY_DRIVER)                 # the descriptor and the class, connecting nothing
        check_driver(MY_DRIVER, chunks=5)       # also connect with its example options and stream

``check_driver`` raises :class:`DriverContractError` listing every breach it found. Call it from
a plain (not async) test: streaming runs its own event loop. See docs/drivers.md.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from collections.abc import Collection
from typing import Any, get_args

import numpy as np
import pydantic

from agent.base.clock import Clock
from agent.base.driver import Driver, DriverContext, DriverOptions, DriverPlugin, Hardware, bound_logger
from agent.base.events import Quality
from agent.base.stream import Chunk
from agent.errors import AgentError, DriverUnavailable

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # a TOML value and a command-line word
_SENSOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # as provisioning requires


class DriverContractError(AgentError, AssertionError):
    """A driver breaks its contract; the message lists every breach."""

    def __init__(self, driver: str, breaches: list[str]) -> None:
        super().__init__(f"driver {driver!r} breaks the contract:\n" + "\n".join(f"  - {b}" for b in breaches))
        self.breaches = breaches


def check_driver(plugin: DriverPlugin, *, chunks: int = 0, speed: float = 20.0, timeout_s: float = 30.0,
                 known_extras: Collection[str] | None = None) -> None:
    """Check ``plugin`` and its driver class; with ``chunks`` > 0 also stream that many chunks.

    Streaming connects with the plugin's ``example`` options on a clock running ``speed`` times
    real time, so it needs the device (or the simulation, or the recording) the example names.
    ``known_extras``: the pip extras the distribution offers, when the caller knows them.
    """
    if not isinstance(plugin, DriverPlugin):
        raise DriverContractError(str(getattr(plugin, "name", plugin)), [f"{plugin!r} is not a DriverPlugin"])
    breaches = _descriptor_breaches(plugin, known_extras)
    if not breaches:
        breaches = _class_breaches(plugin)
    if not breaches and chunks > 0:
        breaches = asyncio.run(_stream_breaches(plugin, chunks, speed, timeout_s))
    if breaches:
        raise DriverContractError(plugin.name, breaches)


def _descriptor_breaches(plugin: DriverPlugin, known_extras: Collection[str] | None) -> list[str]:
    out = []
    if not _NAME.fullmatch(plugin.name):
        out.append(f"name {plugin.name!r}: use lower-case letters, digits and '-'")
    if not plugin.summary.strip():
        out.append("summary is empty: `edge-agent drivers` shows it")
    if ":" not in plugin.target:
        out.append(f"target {plugin.target!r} is not 'module:Class'")
    if plugin.extra is not None and known_extras is not None and plugin.extra not in known_extras:
        out.append(f"extra {plugin.extra!r} is not an extra of the distribution ({', '.join(sorted(known_extras))})")
    if not (isinstance(plugin.options, type) and issubclass(plugin.options, DriverOptions)):
        return [*out, "options is not a DriverOptions subclass"]
    if plugin.options.model_config.get("extra") != "forbid":
        out.append("options accept unknown keys: a misspelt option must be an error (extra='forbid')")
    try:
        plugin.options.model_validate(dict(plugin.example))
    except pydantic.ValidationError as exc:
        out.append(f"example is not valid options: {exc.errors(include_url=False)}")
    else:
        try:
            plugin.options.model_validate({**plugin.example, "no_such_option_xyz": 1})
            out.append("an unknown option was accepted")
        except pydantic.ValidationError:
            pass
    fields = plugin.options.model_fields
    if plugin.hardware not in get_args(Hardware):
        out.append(f"hardware {plugin.hardware!r} is not one of {', '.join(get_args(Hardware))}")
    for attr in ("target_option", "address_option"):
        key = getattr(plugin, attr)
        if key is not None and key not in fields:
            out.append(f"{attr} {key!r} is not an option (options: {', '.join(fields)})")
    if plugin.hardware != "none" and plugin.target_option is None:
        out.append("a hardware driver names its device: set target_option (what --sensor DRIVER=TARGET sets)")
    if plugin.id_hint is not None and not _SENSOR_ID.fullmatch(plugin.id_hint):
        out.append(f"id_hint {plugin.id_hint!r} is not a usable sensor id")
    return out


def _class_breaches(plugin: DriverPlugin) -> list[str]:
    try:
        cls = plugin.load()
    except DriverUnavailable as exc:
        return [f"cannot be loaded: {exc}"]
    out = []
    if getattr(cls, "options", None) is not plugin.options:
        out.append("the class's `options` is not the plugin's options model")
    if not inspect.iscoroutinefunction(getattr(cls, "discover", None)):
        out.append("discover(timeout_s) is not an async classmethod")
    if plugin.plays_recordings and not callable(getattr(cls, "recorded", None)):
        out.append("plays_recordings, but the class has no recorded(options, device_id, chunk_s)")
    if out:
        return out
    driver = _create(plugin, Clock())
    if not isinstance(driver, Driver):
        out.append("an instance is not a Driver: an async context manager with chunks()")
    return out


def _create(plugin: DriverPlugin, clock: Clock) -> Any:
    device_id = f"contract-{plugin.name}"
    options = plugin.options.model_validate(dict(plugin.example))
    return plugin.create(options, DriverContext(device_id, clock, bound_logger(device_id)))


async def _stream_breaches(plugin: DriverPlugin, want: int, speed: float, timeout_s: float) -> list[str]:
    driver = _create(plugin, Clock(speed))
    device_id = f"contract-{plugin.name}"
    out: list[str] = []
    specs: dict[str, Any] = {}
    next_seq: dict[str, int] = {}
    last_t: dict[str, float] = {}
    seen = 0
    try:
        async with asyncio.timeout(timeout_s), driver:
            items = driver.chunks()
            try:
                async for item in items:
                    if isinstance(item, Quality):
                        continue
                    if not isinstance(item, Chunk):
                        out.append(f"chunks() yielded {type(item).__name__}: only Chunk and Quality")
                        break
                    out += _chunk_breaches(item, device_id, specs, next_seq, last_t)
                    seen += 1
                    if seen >= want or out:
                        break
            finally:
                if hasattr(items, "aclose"):
                    await items.aclose()
    except TimeoutError:
        out.append(f"{seen} of {want} chunks within {timeout_s:g} s")
    except Exception as exc:  # noqa: BLE001 - whatever the driver raised is the finding
        out.append(f"connecting or streaming raised {type(exc).__name__}: {exc}")
    return out


def _chunk_breaches(chunk: Chunk, device_id: str, specs: dict[str, Any], next_seq: dict[str, int],
                    last_t: dict[str, float]) -> list[str]:
    name = chunk.spec.name
    where = f"stream {name!r}, seq {chunk.seq}"
    out = []
    if chunk.device_id != device_id:
        out.append(f"{where}: device_id {chunk.device_id!r}, not the context's {device_id!r}")
    if len(chunk) == 0:
        out.append(f"{where}: an empty chunk")
    if specs.setdefault(name, chunk.spec) != chunk.spec:
        out.append(f"{where}: the stream's spec changed while connected")
    if chunk.seq < next_seq.get(name, 0):
        out.append(f"{where}: seq went back (expected >= {next_seq[name]}); a gap is a jump forward")
    next_seq[name] = chunk.next_seq
    t = chunk.t
    if not np.isfinite(t).all():
        out.append(f"{where}: times are not finite")
    elif len(chunk) and (bool((t[1:] < t[:-1]).any()) or float(t[0]) < last_t.get(name, -math.inf)):
        out.append(f"{where}: sample times go backwards")
    if len(chunk):
        last_t[name] = float(t[-1])
    return out
