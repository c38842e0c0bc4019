"""NeuroKit2 recomputing the feature windows from scratch: the benchmark's reference.

Kept beside the tests because NeuroKit2 is a test-only dependency.
Run ``python tests/agent/signals/nk_reference.py`` for the side-by-side figures.
"""

from __future__ import annotations

import json
import warnings

import neurokit2 as nk
import numpy as np

BANDS = [(1.0, 4.0), (4.0, 8.0), (8.0, 13.0), (13.0, 30.0), (30.0, 45.0)]


def recompute(windows: dict[str, tuple[float, np.ndarray]]) -> dict[str, object]:
    """What a batch pipeline does at each tick: ECG peaks + HRV, EDA decomposition + SCRs, EEG band powers."""
    out: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fs, ecg = windows["ecg"]
        _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=int(fs)), sampling_rate=int(fs))
        peaks = info["ECG_R_Peaks"]
        last60 = peaks[peaks > peaks[-1] - 60 * fs]
        out["hrv_time"] = nk.hrv_time(last60, sampling_rate=int(fs))
        out["hrv_frequency"] = nk.hrv_frequency(peaks, sampling_rate=int(fs), normalize=False, interpolation_rate=4)
        _, rr = windows["rr"]
        rri = rr * 1000.0
        out["rr_hrv"] = nk.hrv_time({"RRI": rri, "RRI_Time": np.cumsum(rr)})
        fs, eda = windows["eda"]
        out["eda"] = nk.eda_process(eda, sampling_rate=int(fs))
        fs, eeg = windows["eeg"]
        out["eeg"] = [
            nk.signal_power(eeg[:, c], BANDS, sampling_rate=int(fs), method="welch") for c in range(eeg.shape[1])
        ]
    return out


def main() -> None:
    from tools.bench.signals import measure

    print(json.dumps(measure(recompute), indent=2))


if __name__ == "__main__":
    main()
