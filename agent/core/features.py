"""The feature vector at a fixed tick, with availability and quality flags.

``FeatureExtractor`` owns one streaming processor per stream (routed by the
stream's modality), takes chunks and device events as they come, and at
each tick (4 Hz by default) assembles a ``FeatureVector``: a fixed, ordered
set of named features (``FEATURE_NAMES``, from :mod:`agent.core.feature_specs`), an
availability flag per feature, and a quality report per modality group.
An unavailable feature has value 0.0 and ``available`` False, so no NaN or
infinity ever leaves this module. Training code calls the same extractor on
recordings, so training and serving cannot drift apart.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.base.events import DeviceEvent, Gap, Quality
from agent.base.stream import Chunk, Modality
from agent.core.feature_specs import FEATURES, GROUPS
from agent.core.signals.cardiac import CardiacConfig, CardiacProcessor
from agent.core.signals.eda import EdaConfig, EdaProcessor
from agent.core.signals.eeg import BAND_NAMES, EegConfig, EegProcessor
from agent.core.signals.motion import MotionProcessor
from agent.core.signals.quality import QualityReport

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_UNITS: dict[str, str] = {f.name: f.unit for f in FEATURES}
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
GROUP_OF = np.array([GROUPS.index(f.group) for f in FEATURES])  # each feature's group, as an index into GROUPS


def groups_with(features: np.ndarray) -> np.ndarray:
    """Per group of GROUPS: at least one of ``features`` (a mask over FEATURE_NAMES) is in it."""
    groups = np.zeros(len(GROUPS), dtype=bool)
    groups[GROUP_OF[features]] = True
    return groups


def group_names(groups: np.ndarray) -> tuple[str, ...]:
    """The names of the groups set in ``groups`` (a mask over GROUPS)."""
    return tuple(g for g, on in zip(GROUPS, groups, strict=True) if on)

# when two streams can feed a group, prefer the more precise one at equal quality
_CARDIAC_RANK = {Modality.ECG: 0, Modality.RR: 1, Modality.PPG: 2}


class FeatureConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tick_hz: float = Field(4.0, gt=0)
    # window features, quality and the choice of stream are refreshed once per this much data time;
    # hr_bpm and scr_recent every tick (0: everything every tick)
    slow_update_s: float = Field(1.0, ge=0)
    min_quality: float = Field(0.5, ge=0, le=1)  # below this a group is flagged not ok
    # a tick waits at most this long (agent time) for a stream that is behind, then is decided without it
    lateness_s: float = Field(1.5, gt=0, allow_inf_nan=False)
    # a strap's beat-to-beat intervals are read this far behind the tick: it sends the intervals that ended since
    # its last notification about once a second, and ticks that waited for them would go out four at a time
    rr_behind_s: float = Field(2.0, ge=0, allow_inf_nan=False)
    cardiac: CardiacConfig = CardiacConfig()
    eda: EdaConfig = EdaConfig()
    eeg: EegConfig = EegConfig()


@dataclass(frozen=True, slots=True)
class FeatureVector:
    t: float
    values: np.ndarray  # float32 (len(FEATURE_NAMES),), 0.0 where not available
    available: np.ndarray  # bool, same shape
    quality: dict[str, QualityReport]  # per group; index 0 and "no stream" when a group has none
    sources: dict[str, tuple[str, str] | None]  # the (device, stream) each group came from
    min_quality: float
    # available features whose group's quality passes min_quality: what may vote. Derived once: the baseline,
    # its anchor and the model each read it on every tick
    usable: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ok = np.array([self.group_ok(g) for g in GROUPS])
        object.__setattr__(self, "usable", self.available & ok[GROUP_OF])

    def __getitem__(self, name: str) -> float | None:
        i = _INDEX[name]
        return float(self.values[i]) if self.available[i] else None

    def group_ok(self, group: str) -> bool:
        return self.quality[group].index >= self.min_quality

    def voting(self, usable: np.ndarray) -> FeatureVector:
        """This tick with only ``usable`` (a subset of its own ``usable``) allowed to vote."""
        if np.array_equal(usable, self.usable):
            return self
        narrowed = copy.copy(self)
        object.__setattr__(narrowed, "usable", usable)
        return narrowed

    def as_dict(self) -> dict[str, float | None]:
        # tolist converts each float32 exactly as float() does, in one call rather than 25 (a sink reads this per tick)
        return {name: v if a else None
                for name, v, a in zip(FEATURE_NAMES, self.values.tolist(), self.available.tolist(), strict=True)}


Processor = CardiacProcessor | EdaProcessor | EegProcessor | MotionProcessor
MOTION_GATED = ("cardiac", "eda")  # groups whose quality movement on the same device lowers


@dataclass(frozen=True, slots=True)
class _Entry:
    """One accepted stream: the group it feeds, its processor, and how far behind the tick it is read."""

    group: str
    proc: Processor
    modality: Modality
    behind_s: float


@dataclass(frozen=True, slots=True)
class _SlowState:
    """The part of a tick that is refreshed once per ``slow_update_s`` cell."""

    cell: float
    values: np.ndarray
    available: np.ndarray
    quality: dict[str, QualityReport]
    sources: dict[str, tuple[str, str] | None]
    chosen: dict[str, _Entry]


class FeatureExtractor:
    """Chunks and device events in; a :class:`FeatureVector` per tick out."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self._streams: dict[tuple[str, str], _Entry] = {}
        self.ignored: dict[tuple[str, str], str] = {}  # streams no processor takes, and why
        self._slow: _SlowState | None = None
        self._prepared: dict[tuple[str, str], float] = {}  # the refresh each stream was last computed ahead for

    @property
    def tick_period_s(self) -> float:
        return 1.0 / self.config.tick_hz

    def _processor(self, chunk: Chunk) -> Processor | None:
        key = chunk.stream_key
        entry = self._streams.get(key)
        if entry is not None:
            return entry.proc
        if key in self.ignored:
            return None
        spec, cfg = chunk.spec, self.config
        proc: Processor
        try:
            if spec.modality in _CARDIAC_RANK:
                proc, group = CardiacProcessor(spec.modality, spec.rate_hz, cfg.cardiac), "cardiac"
            elif spec.modality is Modality.EDA and spec.rate_hz is not None:
                proc, group = EdaProcessor(spec.rate_hz, cfg.eda), "eda"
            elif spec.modality is Modality.EEG and spec.rate_hz is not None:
                proc, group = EegProcessor(spec.rate_hz, spec.channels, cfg.eeg), "eeg"
            elif spec.modality is Modality.ACC and spec.rate_hz is not None and spec.n_channels == 3:
                proc, group = MotionProcessor(spec.rate_hz), "motion"  # a quality gate, never a feature
            else:
                self.ignored[key] = f"no feature uses {spec.modality} at rate {spec.rate_hz}"
                return None
        except ValueError as e:
            self.ignored[key] = str(e)
            return None
        behind = cfg.rr_behind_s if spec.modality is Modality.RR else 0.0
        self._streams[key] = _Entry(group, proc, spec.modality, behind)
        self._slow = None  # a new stream may be the best of its group from the next tick
        return proc

    def accepts(self, chunk: Chunk) -> bool:
        """Whether a feature uses this chunk's stream (its processor is made on first sight)."""
        return self._processor(chunk) is not None

    def behind_s(self, key: tuple[str, str]) -> float:
        """How far behind a tick at ``T`` an accepted stream is read: its processor sees samples up to
        ``T - behind_s`` and is asked for its features there (the ticker waits for that much of it)."""
        return self._streams[key].behind_s

    def push(self, chunk: Chunk) -> None:
        proc = self._processor(chunk)
        if proc is not None and len(chunk):
            proc.push(chunk)

    def push_samples(self, key: tuple[str, str], t: np.ndarray, x: np.ndarray, seq: int | None) -> None:
        """Samples of an accepted stream (the ticker's per-tick blocks)."""
        self._streams[key].proc.push_samples(t, x, seq)

    def stream_event(self, key: tuple[str, str], ev: DeviceEvent) -> None:
        """A Gap or Quality event for one accepted stream, in its place among the samples."""
        proc = self._streams[key].proc
        self._slow = None  # quality changes at once, not at the next cell
        if isinstance(ev, Gap):
            proc.gap(ev)
        elif isinstance(ev, Quality):
            proc.device_quality(ev)

    def concerned(self, ev: Gap | Quality) -> list[tuple[str, str]]:
        """The accepted streams a device event is about: its own stream. On a stream no feature uses, a
        Quality is about the whole device (a strap's "no skin contact" on its heart-rate stream), and a Gap
        about none (samples missing from a band's temperature are no news for its skin conductance)."""
        key = (ev.device_id, ev.stream)
        if key in self._streams:
            return [key]
        return [] if isinstance(ev, Gap) else [k for k in self._streams if k[0] == ev.device_id]

    def event(self, ev: DeviceEvent) -> None:
        """A device event routed here directly, to the streams it concerns."""
        if not isinstance(ev, Gap | Quality):
            return  # (dis)connections show up as coverage; gaps and quality say more
        for key in self.concerned(ev):
            self.stream_event(key, ev)

    def tick(self, t: float) -> FeatureVector:
        slow = self._slow_state(t)
        values = slow.values.copy()
        available = slow.available.copy()
        # the fast path: a change of heart rate or a new SCR shows at the next tick
        cardiac, eda = slow.chosen.get("cardiac"), slow.chosen.get("eda")
        if cardiac is not None and isinstance(cardiac.proc, CardiacProcessor):
            self._set(values, available, "hr_bpm", cardiac.proc.heart_rate(t - cardiac.behind_s))
        if eda is not None and isinstance(eda.proc, EdaProcessor) and available[_INDEX["scl_us"]]:
            self._set(values, available, "scr_recent", float(eda.proc.recent_scrs(t - eda.behind_s)))
        return FeatureVector(t, values, available, dict(slow.quality), dict(slow.sources), self.config.min_quality)

    def refreshes(self, t: float) -> bool:
        """Whether a tick at ``t`` recomputes the slow state (it enters a new ``slow_update_s`` cell)."""
        return self._slow is None or self._slow.cell != self._cell(t)

    def _cell(self, t: float) -> float:
        step = self.config.slow_update_s
        return float(np.floor(t / step)) if step > 0 else t

    def prepare(self, t: float, keys: list[tuple[str, str]]) -> None:
        """Compute now what the refreshing tick at ``t`` will ask the streams ``keys`` for, so that tick reads it.

        Each processor caches its report and features by its data and the window end (``WindowCache``),
        so computing them ahead changes no value: a stream that receives more before that tick is
        computed again then. The live agent calls this between ticks with the streams whose data the
        tick has in full, so mostly the stream that completes the tick is worked on in it. Such a stream
        takes nothing more before that tick but an event, and the tick recomputes after one: each stream
        is computed ahead once per refresh.
        """
        for key in keys:
            entry = self._streams.get(key)
            if entry is None or isinstance(entry.proc, MotionProcessor) or self._prepared.get(key) == t:
                continue  # not ours; the gate is read at the gated group's time; or done for this refresh
            self._prepared[key] = t
            at = t - entry.behind_s
            entry.proc.report(at)
            entry.proc.features(at)

    def _slow_state(self, t: float) -> _SlowState:
        """Everything but the fast path, recomputed when ``t`` enters a new ``slow_update_s`` cell.

        The window features change little within a second (HRV over 60 s and 300 s,
        SCL over 60 s, EEG over 60 s of 1 s segments), and recomputing them, the
        quality reports and the choice of stream at every tick was most of the cost
        of replaying a recording. The cell is a function of data time alone, so the
        output stays the same however the input is chunked. Device events and new
        streams start a new cell at once, so a strap coming off shows at the next tick.
        """
        cell = self._cell(t)
        if self._slow is not None and self._slow.cell == cell:  # as refreshes() says
            return self._slow
        n = len(FEATURE_NAMES)
        values = np.zeros(n, dtype=np.float32)
        available = np.zeros(n, dtype=bool)
        quality: dict[str, QualityReport] = {}
        sources: dict[str, tuple[str, str] | None] = {}
        chosen: dict[str, _Entry] = {}
        for group in GROUPS:
            best = self._best(group, t)
            if best is None:
                quality[group] = QualityReport(0.0, ("no stream",))
                sources[group] = None
                continue
            key, entry, report = best
            at = t - entry.behind_s
            if group in MOTION_GATED:
                report = self._motion_gate(key[0], report, at)
            quality[group], sources[group], chosen[group] = report, key, entry
            for name, value in self._group_values(group, entry.proc, at).items():
                self._set(values, available, name, value)
        self._slow = _SlowState(cell, values, available, quality, sources, chosen)
        return self._slow

    def _motion_gate(self, device_id: str, report: QualityReport, t: float) -> QualityReport:
        """Movement on the device a group is measured on, at the time it is read, lowers that group's quality."""
        factors = [e.proc.factor(t) for (dev, _), e in self._streams.items()
                   if e.group == "motion" and dev == device_id and isinstance(e.proc, MotionProcessor)]
        factor = min(factors, default=1.0)
        if factor >= 1.0:
            return report
        return QualityReport(report.index * factor, ("movement", *report.reasons))

    @staticmethod
    def _set(values: np.ndarray, available: np.ndarray, name: str, value: float | None) -> None:
        i = _INDEX[name]
        if value is not None and math.isfinite(value):  # a Python float: numpy's ufunc costs 10x more here
            values[i] = value
            available[i] = True
        else:
            values[i] = 0.0
            available[i] = False

    def _best(self, group: str, t: float) -> tuple[tuple[str, str], _Entry, QualityReport] | None:
        best = None
        best_rank: tuple[float, int] | None = None
        for key, entry in self._streams.items():
            if entry.group != group:
                continue
            report = entry.proc.report(t - entry.behind_s)
            rank = (-round(report.index, 2), _CARDIAC_RANK.get(entry.modality, 0))
            if best_rank is None or rank < best_rank:
                best, best_rank = (key, entry, report), rank
        return best

    @staticmethod
    def _group_values(group: str, proc: Processor, t: float) -> dict[str, float | None]:
        if isinstance(proc, CardiacProcessor):
            h = proc.features(t)
            return {
                "hr_bpm": h.hr_bpm,
                "mean_nn_ms": h.mean_nn_ms,
                "sdnn_ms": h.sdnn_ms,
                "rmssd_ms": h.rmssd_ms,
                "pnn50_pct": h.pnn50_pct,
                "lf_ms2": h.lf_ms2,
                "hf_ms2": h.hf_ms2,
                "lf_hf": h.lf_hf,
            }
        if isinstance(proc, EdaProcessor):
            e = proc.features(t)
            return {
                "scl_us": e.scl_us,
                "scl_slope_us_per_min": e.scl_slope_us_per_min,
                "scr_rate_per_min": e.scr_rate_per_min,
                "scr_amplitude_us": e.scr_amplitude_us,
                "scr_rise_s": e.scr_rise_s,
                "scr_recent": None if e.scr_recent is None else float(e.scr_recent),
            }
        f = proc.features(t)
        out: dict[str, float | None] = {f"eeg_{b}_rel": None for b in BAND_NAMES}
        if f.relative is not None:
            out.update({f"eeg_{b}_rel": v for b, v in f.relative.items()})
        out["eeg_faa"] = f.faa
        out["eeg_theta_frontal_rel"] = f.theta_frontal
        out["eeg_alpha_frontal_rel"] = f.alpha_frontal
        out["eeg_alpha_rear_rel"] = f.alpha_rear
        return out
