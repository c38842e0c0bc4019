"""One sensor's self-test: connect, stream for a few seconds, judge its signal quality.

Quality is judged by the agent's own :class:`~agent.core.features.FeatureExtractor`
(the same report that gates the policy), over exactly the span that was
streamed: the readings are kept, then replayed into an extractor whose
quality windows equal that span, so a 5-second test is not marked down for
not having the 10 seconds the running agent looks at.
"""

from __future__ import annotations

from typing import Any

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from agent.base.events import DeviceEvent, Quality
from agent.base.stream import Chunk
from agent.commands.selftest.step import Step
from agent.config import AgentConfig
from agent.core.features import GROUPS, FeatureConfig, FeatureExtractor
from agent.errors import ConfigError, DeviceError, DriverUnavailable
from agent.runtime.status import DeviceStatus
from agent.runtime.supervisor import DeviceSpec

RATE_TOLERANCE = 0.10  # a measured rate this far off its nominal one is worth a warning
MIN_SAMPLES = 10  # each stream is judged over at least this many samples at its nominal rate...
MAX_WINDOW_S = 60.0  # ...but never for longer than this, nor past a silence of first_chunk_timeout_s

# Quality reasons (agent/core/signals/quality.py) and what a technician can do about each.
_FIXES = (
    ("device:", "the sensor itself reports a problem (no skin contact?): moisten the electrodes and reseat it"),
    ("flatline", "the signal is flat: is the sensor on the skin, switched on, its lead attached?"),
    ("clipping", "the signal clips: reseat the sensor; for GSR use the auto range"),
    ("noise", "the signal is noisy: keep still, tighten the strap, check the electrodes"),
    ("beat artifacts", "many implausible beats: tighten the strap and moisten its electrodes"),
    ("gaps", "samples are missing: move the sensor closer (BLE range) or check the cable"),
    ("no data", "no samples: is the sensor worn and switched on?"),
)


def fix_for(reasons: tuple[str, ...] | list[str]) -> str:
    """The fix for the most basic problem among ``reasons`` (no contact before noise before gaps)."""
    for key, fix in _FIXES:
        if any(reason.startswith(key) for reason in reasons):
            return fix
    return "reseat the sensor and run the check again"


def _windowed(features: FeatureConfig, span_s: float) -> FeatureConfig:
    """The feature config with every quality window set to the streamed span."""
    return features.model_copy(update={
        group: getattr(features, group).model_copy(update={"quality_window_s": span_s}) for group in GROUPS
    })


async def stream_for(spec: DeviceSpec, seconds: float, config: AgentConfig, clock: Clock) -> tuple[list[Any], str | None]:
    """The readings a device gave, and why it stopped early (if it did).

    The window starts at the device's first data (a strap may take a while to
    send any) and lasts until each stream's samples span ``seconds``, or longer
    for a slow stream: until each stream has given :data:`MIN_SAMPLES` (at a
    nominal 1 Hz, 10 s), so a heart-rate strap is not judged on one sample.
    """
    cls = spec.plugin.load()
    driver = cls(spec.options, DriverContext(spec.device_id, clock, bound_logger(spec.device_id)))
    readings: list[Chunk | DeviceEvent] = []
    async with clock.timeout(config.supervisor.connect_timeout_s):
        await driver.__aenter__()
    opened = clock.now()
    first_t: float | None = None
    samples: dict[str, int] = {}
    spans: dict[str, list[float]] = {}  # each stream's first and last sample time: the data's own span
    wait_first = max(seconds, config.supervisor.first_chunk_timeout_s)
    silence = config.supervisor.first_chunk_timeout_s  # a device quiet this long is done, enough data or not
    items = driver.chunks().__aiter__()
    try:
        while True:
            if first_t is None:
                left = wait_first - (clock.now() - opened)
            else:
                elapsed = clock.now() - first_t
                # Judged on the data's own time, not on when it arrived: a chunk still in transit when
                # ``seconds`` have passed would leave a shorter span than asked for (less than one EEG block)
                enough = all(n >= MIN_SAMPLES for n in samples.values()) and all(
                    last - first >= seconds for first, last in spans.values())
                left = 0.0 if enough else min(silence, MAX_WINDOW_S - elapsed, max(seconds - elapsed, silence))
            if left <= 0:
                return readings, None
            try:
                async with clock.timeout(left) as timer:
                    item = await anext(items)
            except StopAsyncIteration:
                return readings, None
            except DeviceError as exc:
                return readings, f"{type(exc).__name__}: {exc}"
            except TimeoutError:
                if not timer.expired():
                    raise
                return readings, None
            readings.append(item)
            if isinstance(item, Chunk) and len(item):
                first_t = clock.now() if first_t is None else first_t
                samples[item.spec.name] = samples.get(item.spec.name, 0) + len(item)
                span = spans.setdefault(item.spec.name, [float(item.t[0]), float(item.t[0])])
                span[1] = max(span[1], float(item.t[-1]))
    finally:
        await driver.__aexit__(None, None, None)


async def check_sensor(spec: DeviceSpec, seconds: float, config: AgentConfig, clock: Clock, progress: Any) -> Step:
    name = f"sensor {spec.device_id}"
    try:
        readings, dropped = await stream_for(spec, seconds, config, clock)
    except DriverUnavailable as exc:
        return Step(name, "fail", spec.plugin.name, str(exc), f"pip install 'vr-edge-agent[{exc.extra}]'" if exc.extra
                    else "reinstall the plugin that provides this driver")
    except ConfigError as exc:
        return Step(name, "fail", spec.plugin.name, f"misconfigured: {exc}",
                    f"correct [devices.{spec.device_id}] in the config (edge-agent drivers --json shows examples)")
    except (DeviceError, TimeoutError) as exc:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else "no connection within the connect timeout"
        return Step(name, "fail", spec.plugin.name, f"cannot connect: {why}",
                    "is it switched on, charged, in range and not connected to a phone? (edge-agent scan lists what is visible)")
    progress(f"  {spec.device_id}: {sum(len(r) for r in readings if isinstance(r, Chunk))} samples")
    return judge(spec, readings, dropped, config.top.features)


def judge(spec: DeviceSpec, readings: list[Any], dropped: str | None, features: FeatureConfig) -> Step:
    name = f"sensor {spec.device_id}"
    chunks = [r for r in readings if isinstance(r, Chunk) and len(r)]
    if not chunks:
        said = [f"device: {r.reason}" for r in readings if isinstance(r, Quality) and not r.ok]
        if said:
            return Step(name, "fail", "0 samples", "; ".join(dict.fromkeys(said)), fix_for(said))
        return Step(name, "fail", "0 samples", f"connected but sent no data{f' ({dropped})' if dropped else ''}",
                    "is the sensor worn and switched on? For BLE straps: moisten the electrodes")
    seen = DeviceStatus(spec.device_id, spec.plugin.name)
    for c in chunks:
        seen.on_chunk(c)
    t_first = min(float(c.t[0]) for c in chunks)
    t_end = max(float(c.t[-1]) for c in chunks)
    # Judge whole processing blocks only: the last, unfinished block would read as a gap.
    block_s = max(features.cardiac.block_s, features.eda.block_s)
    span = t_end - t_first
    window = block_s * int(span // block_s) if span >= block_s else span
    extractor = FeatureExtractor(_windowed(features, max(window, 0.1)))
    reported: list[str] = []
    for r in readings:
        if isinstance(r, Chunk):
            extractor.push(r)
        else:
            extractor.event(r)
            if isinstance(r, Quality) and not r.ok:
                reported.append(f"device: {r.reason}")
    fv = extractor.tick(t_first + window)
    figures, problems, warnings = [], [], []
    feeds = tuple(g for g in GROUPS if fv.sources[g] is not None)
    for group in feeds:
        report = fv.quality[group]
        figures.append(f"{group} quality {report.index:.2f}")
        if not fv.group_ok(group):
            problems.append((group, report.reasons or ("poor",)))
    for s in seen.streams.values():
        if s.nominal_hz and s.rate_hz is not None and abs(s.rate_hz - s.nominal_hz) > RATE_TOLERANCE * s.nominal_hz:
            warnings.append(f"{s.name} at {s.rate_hz:.1f} Hz, expected {s.nominal_hz:g}")
        figures.append(f"{s.name} {s.samples} samples" + (f" @ {s.rate_hz:.1f} Hz" if s.rate_hz else ""))
    ignored = [f"{stream}: {why}" for (dev, stream), why in extractor.ignored.items() if dev == spec.device_id]
    status, detail, fix = "pass", f"streamed {span:.1f} s", ""
    if dropped:
        status, detail, fix = "fail", f"dropped while streaming: {dropped}", \
            "check the battery and the distance; then run the check again"
    elif problems:
        status, detail = "fail", "; ".join(f"{g}: {', '.join(r)}" for g, r in problems)
        fix = fix_for([r for _, rs in problems for r in rs])
    elif reported:
        status, detail, fix = "warn", "; ".join(reported), fix_for(reported)
    elif warnings:
        status, detail, fix = "warn", "; ".join(warnings), "the rate differs from the device's nominal one: check its settings"
    elif not feeds:  # no feature group took any of its streams
        status, detail, fix = "warn", "no analysed stream: " + "; ".join(ignored), \
            "check the driver's options: this device feeds nothing the model uses"
    return Step(name, status, ", ".join(figures), detail, fix, feeds)
