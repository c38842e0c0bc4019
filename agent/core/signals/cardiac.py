"""One cardiac stream (raw ECG, PPG, or a chest strap's RR intervals) to HRV features and quality."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.base.events import Gap, Quality
from agent.base.stream import Chunk, Modality
from agent.core.signals.beats import BeatConfig, BeatCorrector
from agent.core.signals.ecg_peaks import EcgPeakConfig, EcgPeakDetector
from agent.core.signals.hrv import HrvConfig, HrvFeatures, HrvProcessor
from agent.core.signals.ppg_pulses import PpgPulseConfig, PpgPulseDetector
from agent.core.signals.quality import BlockChecker, BlockFlag, QualityReport, StreamQuality, ecg_noisy
from agent.core.signals.segments import BlockedStream, Segmenter


class CardiacConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    block_s: float = Field(1.0, gt=0)  # raw samples are processed in blocks this long
    quality_window_s: float = Field(10.0, gt=0)
    ecg: EcgPeakConfig = EcgPeakConfig()
    ppg: PpgPulseConfig = PpgPulseConfig()
    beats: BeatConfig = BeatConfig()
    hrv: HrvConfig = HrvConfig()


class CardiacProcessor:
    """Chunks of one ECG, PPG or RR stream in; HRV features and a quality report out.

    Gaps (a jump in ``seq`` or a ``Gap`` event) restart the beat detector and
    break the NN series, so no interval or spectrum spans missing data.
    """

    def __init__(self, modality: Modality, fs: float | None, config: CardiacConfig | None = None) -> None:
        cfg = config or CardiacConfig()
        self.modality = modality
        self.config = cfg
        self.beats = BeatCorrector(cfg.beats)
        self.hrv = HrvProcessor(cfg.hrv)
        self.quality = StreamQuality(cfg.quality_window_s)
        self._detector: EcgPeakDetector | PpgPulseDetector | None = None
        self._blocks: BlockedStream | None = None
        self._rr: Segmenter | None = None
        if modality is Modality.RR:
            self._rr = Segmenter(None)
        elif modality in (Modality.ECG, Modality.PPG):
            if fs is None:
                raise ValueError(f"a {modality} stream needs a sampling rate")
            self.fs = fs
            block = max(1, round(cfg.block_s * fs))
            if modality is Modality.ECG:
                self._detector = EcgPeakDetector(fs, cfg.ecg, max_block=block)
                self._checker = BlockChecker(noisy=ecg_noisy)
            else:
                self._detector = PpgPulseDetector(fs, cfg.ppg, max_block=block)
                self._checker = BlockChecker()
            self._blocks = BlockedStream(fs, cfg.block_s)
            self._prev: np.ndarray | None = None
        else:
            raise ValueError(f"not a cardiac modality: {modality}")

    def push(self, chunk: Chunk) -> None:
        self.push_samples(chunk.t, chunk.x, chunk.seq)

    def push_samples(self, t: np.ndarray, x: np.ndarray, seq: int | None = None) -> None:
        if self._rr is not None:
            for run in self._rr.feed(t, x, seq):
                if run.new_segment:
                    self._break()
                self._push_rr(run.t, run.x[:, 0])
            return
        assert self._blocks is not None and self._detector is not None
        for run in self._blocks.feed(t, x, seq):
            if run.new_segment:
                self._detector.reset()
                self._break()
                self._prev = None
            sig = run.x[:, 0]
            for tb in self._detector.process(run.t, sig):
                self.hrv.push(self.beats.push_beat(tb))
            window = sig if self._prev is None else np.concatenate((self._prev, sig))
            self._prev = sig
            t0 = float(run.t[0])
            self.quality.block(t0, t0 + sig.shape[0] / self.fs, self._checker.check(window))

    def _push_rr(self, t: np.ndarray, rr: np.ndarray) -> None:
        for tb, r in zip(t.tolist(), rr.tolist(), strict=True):
            self.hrv.push(self.beats.push_interval(tb, r))
            if np.isfinite(r) and 0.0 < r < 5.0:  # each beat covers its own interval of time
                self.quality.block(tb - r, tb, BlockFlag.CLEAN)

    def _break(self) -> None:
        self.beats.reset()
        self.hrv.gap()

    def gap(self, ev: Gap) -> None:
        if self._rr is not None:
            self._rr.gap(ev)
        elif self._blocks is not None:
            self._blocks.gap(ev)

    def device_quality(self, ev: Quality) -> None:
        self.quality.event(ev)

    def features(self, t: float) -> HrvFeatures:
        return self.hrv.features(t)

    def heart_rate(self, t: float) -> float | None:
        """``features(t).hr_bpm`` alone, for the per-tick fast path."""
        return self.hrv.heart_rate(t)

    def report(self, t: float) -> QualityReport:
        ratio, judged = self.beats.artifact_ratio(t - self.quality.window_s, t)
        return self.quality.report(t, ratio if judged >= 3 else None)
