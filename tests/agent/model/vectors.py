"""Feature vectors built by hand, for the baseline, model and policy tests."""

from __future__ import annotations

import numpy as np

from agent.core.features import FEATURE_NAMES, GROUPS, FeatureVector
from agent.core.signals.quality import QualityReport

REST = {
    "hr_bpm": 65.0, "mean_nn_ms": 920.0, "sdnn_ms": 50.0, "rmssd_ms": 40.0, "pnn50_pct": 20.0,
    "lf_ms2": 900.0, "hf_ms2": 700.0, "lf_hf": 1.3,
    "scl_us": 2.0, "scl_slope_us_per_min": 0.0, "scr_rate_per_min": 2.0, "scr_amplitude_us": 0.2,
    "scr_rise_s": 2.0, "scr_recent": 0.0,
    "eeg_delta_rel": 0.3, "eeg_theta_rel": 0.2, "eeg_alpha_rel": 0.25, "eeg_beta_rel": 0.2, "eeg_gamma_rel": 0.05,
    "eeg_faa": 0.0, "eeg_theta_frontal_rel": 0.2, "eeg_alpha_frontal_rel": 0.2, "eeg_alpha_rear_rel": 0.3,
}
STRESS = {**REST, "hr_bpm": 95.0, "mean_nn_ms": 630.0, "rmssd_ms": 18.0, "sdnn_ms": 30.0, "pnn50_pct": 2.0,
          "scl_us": 5.0, "scl_slope_us_per_min": 0.5, "scr_rate_per_min": 8.0, "scr_amplitude_us": 0.6,
          "eeg_alpha_rel": 0.12, "eeg_beta_rel": 0.33, "eeg_theta_frontal_rel": 0.26, "eeg_alpha_frontal_rel": 0.1,
          "eeg_alpha_rear_rel": 0.15}


def vector(t: float, values: dict[str, float | None], quality: dict[str, float] | None = None,
           jitter: float = 0.0, rng: np.random.Generator | None = None) -> FeatureVector:
    """A vector with ``values`` (None: unavailable) and a quality index per group (default 1.0)."""
    q = {g: 1.0 for g in GROUPS} | (quality or {})
    v = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    avail = np.zeros(len(FEATURE_NAMES), dtype=bool)
    for i, name in enumerate(FEATURE_NAMES):
        x = values.get(name)
        if x is not None:
            noise = rng.normal(0, jitter * max(abs(x), 1e-3)) if rng is not None and jitter else 0.0
            v[i], avail[i] = x + noise, True
    reports = {g: QualityReport(q[g], () if q[g] >= 1 else ("test",)) for g in GROUPS}
    return FeatureVector(t, v, avail, reports, {g: ("dev", g) for g in GROUPS}, 0.5)
