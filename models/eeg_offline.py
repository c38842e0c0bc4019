"""EEG checks made outside the core, which the model card quotes: ``python -m models.eeg_offline CHECK``.

- ``screen``: a tick-level LOSO logistic screen of EEGMAT's six EEG channels, computed here from the
  recordings rather than by the agent: 4-s windows every second (Welch, 2-s Hann segments), each subject's
  first 120 s as its resting level (mean and SD, the spread floored at a tenth of the level), one logistic
  per left-out subject fitted on the others' ticks after calibration, its logit smoothed over 10 s, and the
  mean per-subject macro-F1 over the rest after calibration and the task. The recordings are read as
  replay reads them: each file in µV by its own scale and offset (the rest and task files are scaled
  differently, so raw counts would step at the task's onset), without the padding at its end. Quick and
  coarse, and not the agent's features: compare its rows with each other only.
- ``cleanliness``: how clean EEGMAT's EEG is beside a headband's (blinks; gamma's share of 1–45 Hz), and
  what a muscle gate that was considered would flag in each.
- ``muse``: the Muse files replayed through the deployed model with ``edge-agent replay``'s code, each
  subject's joined into one session and each calm one alone: what EEG alone does at a headband.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.signal import butter, find_peaks, periodogram, sosfilt, sosfiltfilt, welch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from agent.base.datasets import data_root
from drivers.replay.formats.eegmat import segments as eegmat_segments

FS = 500  # EEGMAT's rate
WINDOW_S, CALIBRATION_S, TAU_S = 4, 120, 10.0
BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 45)}
COUPLING_BANDS = {"theta": (4, 8), "alpha": (8, 13), "low-beta": (13, 20)}
FRONT, SIDES = [0, 1, 2, 3], [4, 5]  # Fp1, Fp2, F7, F8 | T3, T4
_UPPER = np.triu_indices(6)
_OFF_DIAGONAL = _UPPER[0] != _UPPER[1]
SCREENS = {  # name: (feature blocks, gamma's z-score cap)
    "bands": (("bands",), None),
    "bands+gamma": (("bands", "gamma"), None),
    "bands-without-delta": (("bands-without-delta",), None),
    "bands-without-delta+gamma": (("bands-without-delta", "gamma"), None),
    "coupling": (("coupling",), None),
    "bands+coupling": (("bands", "coupling"), None),
    "bands+coupling-off-diagonal": (("bands", "coupling-off-diagonal"), None),
    **{f"bands+gamma-cap-{k}": (("bands", "gamma"), float(k)) for k in (4, 3, 2, 1)},
}


def eegmat_files(path: Path) -> list[np.ndarray]:
    """The rest file's and the task file's six EEG channels in µV, as replay reads them (each by its own scale
    and offset, its padding dropped)."""
    fs, channels, parts = eegmat_segments(path)
    assert fs == FS, f"{path}: {fs} Hz"
    eeg = [i for i, c in enumerate(channels) if c.upper() != "ECG"]
    return [part[:, eeg].astype(np.float64) for part in parts]


def eegmat_subject(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The six EEG channels in µV, rest then task, and a label per sample (1: task)."""
    rest, task = eegmat_files(path)
    return np.vstack((rest, task)), np.r_[np.zeros(len(rest)), np.ones(len(task))]


def window_ends(n: int, fs: float) -> np.ndarray:
    return np.arange(int(WINDOW_S * fs), n + 1, int(fs))


def band_features(x: np.ndarray, fs: float = FS) -> np.ndarray:
    """Per window: delta to beta as shares of 1–30 Hz (the channels' mean), frontal alpha asymmetry
    (Fp2 over Fp1), frontal theta and alpha and lateral alpha as shares of 4–30 Hz; then gamma's share of
    1–45 Hz."""
    rows = []
    for end in window_ends(len(x), fs):
        f, p = welch(x[end - int(WINDOW_S * fs):end], fs=fs, nperseg=int(2 * fs), axis=0)
        power = {b: p[(f >= lo) & (f < hi)].sum(axis=0) for b, (lo, hi) in BANDS.items()}
        low = sum(power[b] for b in ("delta", "theta", "alpha", "beta"))
        mid = power["theta"] + power["alpha"] + power["beta"]
        rows.append([*(np.mean(power[b] / low) for b in ("delta", "theta", "alpha", "beta")),
                     np.log(power["alpha"][1] / power["alpha"][0]),
                     np.mean(power["theta"][FRONT] / mid[FRONT]), np.mean(power["alpha"][FRONT] / mid[FRONT]),
                     np.mean(power["alpha"][SIDES] / mid[SIDES]), np.mean(power["gamma"] / (low + power["gamma"]))])
    return np.array(rows)


def log_euclidean(c: np.ndarray) -> np.ndarray:
    """The upper triangle of a covariance's matrix logarithm: features that can be z-scored and weighed
    like any other (the log-Euclidean form of the Riemannian features of brain–computer interfaces)."""
    w, v = np.linalg.eigh(c)
    return ((v * np.log(np.maximum(w, 1e-12 * w.max()))) @ v.T)[_UPPER]


def coupling_features(x: np.ndarray, fs: float = FS) -> np.ndarray:
    """Per window, per band of ``COUPLING_BANDS`` (causal 4th-order Butterworth): ``log_euclidean`` of the
    channels' covariance, 21 entries each."""
    blocks = []
    for lo, hi in COUPLING_BANDS.values():
        y = sosfilt(butter(4, (lo, hi), btype="band", fs=fs, output="sos"), x, axis=0)
        n = int(WINDOW_S * fs)
        blocks.append([log_euclidean(np.cov(y[e - n:e].T) + 1e-6 * np.eye(x.shape[1]))
                       for e in window_ends(len(x), fs)])
    return np.concatenate(blocks, axis=1)


def resting_z(features: np.ndarray, t: np.ndarray) -> np.ndarray:
    rest = features[t <= CALIBRATION_S]
    mean = rest.mean(axis=0)
    spread = np.maximum(rest.std(axis=0), 0.1 * np.abs(mean) + 1e-6)
    return np.clip((features - mean) / spread, -8, 8)


def smoothed(logit: np.ndarray, tau_s: float = TAU_S) -> np.ndarray:
    out, share = np.empty_like(logit), 1 - np.exp(-1.0 / tau_s)
    out[0] = logit[0]
    for i in range(1, len(logit)):
        out[i] = out[i - 1] + share * (logit[i] - out[i - 1])
    return out


def eegmat_tables() -> dict[str, dict[str, np.ndarray]]:
    """Per EEGMAT subject: window end times, labels, and each feature block z-scored on its own rest."""
    out = {}
    for path in sorted((data_root() / "eegmat").glob("Subject*.npz")):
        x, label = eegmat_subject(path)
        ends = window_ends(len(x), FS)
        t = ends / FS
        bands, coupling = band_features(x), coupling_features(x)
        out[path.stem] = {"t": t, "y": label[ends - 1], "bands": resting_z(bands[:, :8], t),
                          "gamma": resting_z(bands[:, 8:], t), "coupling": resting_z(coupling, t)}
        out[path.stem]["coupling-off-diagonal"] = out[path.stem]["coupling"][:, np.tile(_OFF_DIAGONAL, 3)]
        out[path.stem]["bands-without-delta"] = out[path.stem]["bands"][:, 1:]  # delta's share is the first
    return out


def scored(tables: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """The subjects with rest and task ticks after calibration: S31's rest is shorter than calibration, so
    it has no macro-F1 of its own (as in ``evaluation.json``), though it is trained on."""
    return [k for k, s in tables.items() if len(np.unique(s["y"][s["t"] > CALIBRATION_S])) == 2]


def screen(tables: dict[str, dict[str, np.ndarray]], blocks: tuple[str, ...], gamma_cap: float | None = None,
           c: float = 0.1) -> dict[str, float]:
    """Macro-F1 per left-out subject that is ``scored`` (``c``: the logistic's inverse regularisation)."""
    def design(s: dict[str, np.ndarray]) -> np.ndarray:
        parts = [np.clip(s[b], -gamma_cap, gamma_cap) if b == "gamma" and gamma_cap else s[b] for b in blocks]
        return np.hstack(parts)

    x = {k: design(s) for k, s in tables.items()}
    kept = {k: s["t"] > CALIBRATION_S for k, s in tables.items()}
    scores = {}
    for held in scored(tables):
        train = [k for k in tables if k != held]
        weight = np.concatenate([np.full(kept[k].sum(), 1.0 / kept[k].sum()) for k in train])  # subjects alike
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(
            np.vstack([x[k][kept[k]] for k in train]), np.concatenate([tables[k]["y"][kept[k]] for k in train]),
            sample_weight=weight * len(weight))
        decided = smoothed(model.decision_function(x[held]))[kept[held]] > 0
        scores[held] = float(f1_score(tables[held]["y"][kept[held]], decided, average="macro"))
    return scores


def blinks(x: np.ndarray, fs: float = FS, height_uv: float = 60.0) -> int:
    """Swings of over ``height_uv`` in 0.5–8 Hz of Fp1 and Fp2's mean, 0.25 s apart at least."""
    y = sosfiltfilt(butter(2, (0.5, 8), btype="band", fs=fs, output="sos"), x[:, :2].mean(axis=1))
    return len(find_peaks(np.abs(y), height=height_uv, distance=int(0.25 * fs))[0])


def band_powers(x: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
    """Each channel's power in ``band`` (µV²), 2-s Hann segments every second: (segments, channels)."""
    n, out = int(2 * fs), []
    for start in range(0, len(x) - n + 1, int(fs)):
        f, p = periodogram(x[start:start + n] - x[start:start + n].mean(axis=0), fs=fs, window="hann", axis=0)
        out.append(p[(f >= band[0]) & (f < band[1])].sum(axis=0))
    return np.array(out)


def gamma_shares(x: np.ndarray, fs: float) -> np.ndarray:
    """Gamma's share of 1–45 Hz power in 2-s Hann segments every second, per channel."""
    return (band_powers(x, fs, (30.0, 45.0)) / np.maximum(band_powers(x, fs, (1.0, 45.0)), 1e-12)).ravel()


MUSCLE_BAND, MUSCLE_RATIO, MUSCLE_HISTORY = (70.0, 110.0), 10.0, 300


def muscle_flags(power: np.ndarray, least: int) -> np.ndarray:
    """A gate that was considered: a channel's segment is muscle when its power in ``MUSCLE_BAND`` (above
    any EEG, where muscle is broadband) is over ``MUSCLE_RATIO`` times its 10th percentile over the last
    ``MUSCLE_HISTORY`` segments (at least ``least`` of them)."""
    flags = np.zeros(power.shape, dtype=bool)
    for i in range(least, len(power)):
        flags[i] = power[i] > MUSCLE_RATIO * np.percentile(power[max(0, i - MUSCLE_HISTORY):i], 10, axis=0)
    return flags


def muse_files() -> list[Path]:
    return sorted((data_root() / "muse-eeg").glob("subject*.csv"))


def cleanliness() -> dict[str, object]:
    # file by file: the two files' offsets differ, and a filter across the join would see a swing
    subjects = sorted((data_root() / "eegmat").glob("Subject*.npz"))
    files = {p.stem: eegmat_files(p) for p in subjects}
    with_blinks = [k for k, pair in files.items() if any(blinks(x) for x in pair)]
    ours = np.concatenate([gamma_shares(x, FS) for pair in files.values() for x in pair])
    muse = np.concatenate([gamma_shares(np.loadtxt(p, delimiter=",", skiprows=1)[:, 1:5], 256.0)
                           for p in muse_files()])
    # the muscle gate: EEGMAT's two files one after the other, as a session; each Muse file on its own
    eegmat_muscle = [muscle_flags(np.vstack([band_powers(x, FS, MUSCLE_BAND) for x in pair]), 30).mean()
                     for pair in files.values()]
    muse_muscle = {c: float(np.mean(np.concatenate([
        muscle_flags(band_powers(np.loadtxt(p, delimiter=",", skiprows=1)[:, 1:5], 256.0, MUSCLE_BAND), 10).ravel()
        for p in muse_files() if f"-{c}-" in p.name]))) for c in ("relaxed", "neutral", "concentrating")}
    return {"eegmat_subjects_with_a_blink": with_blinks, "of": len(subjects),
            "gamma_share_median_p99": {"eegmat": np.percentile(ours, [50, 99]).round(3).tolist(),
                                       "muse": np.percentile(muse, [50, 99]).round(3).tolist()},
            "muscle_gate_flagged": {"eegmat_mean": round(float(np.mean(eegmat_muscle)), 3),
                                    "eegmat_most": round(float(np.max(eegmat_muscle)), 3),
                                    **{f"muse_{c}": round(v, 3) for c, v in muse_muscle.items()}}}


MUSE_ORDER = ("relaxed-1", "relaxed-2", "neutral-1", "neutral-2", "concentrating-1", "concentrating-2")


def join_muse(subject: str, folder: Path) -> tuple[Path, list[tuple[str, float]]]:
    """One subject's files as one muselsl CSV, timestamps continuous at 256 Hz (the files were recorded
    minutes to days apart), and where each condition ends (s)."""
    header, rows, ends = "", [], []
    for part in MUSE_ORDER:
        path = data_root() / "muse-eeg" / f"subject{subject}-{part}.csv"
        header = path.read_text().splitlines()[0]
        rows.append(np.loadtxt(path, delimiter=",", skiprows=1)[:, 1:])
        ends.append((part.split("-")[0], sum(len(r) for r in rows) / 256.0))
    x = np.vstack(rows)
    out = folder / f"subject{subject}.csv"
    np.savetxt(out, np.column_stack([1.7e9 + np.arange(len(x)) / 256.0, x]), delimiter=",",
               fmt=["%.4f"] + ["%.3f"] * x.shape[1], header=header, comments="")
    return out, ends


def _replayed(path: Path, settings: str = "") -> list[dict]:
    """The decided ticks of ``edge-agent replay`` of ``path`` with the deployed model and ``settings``."""
    from agent import config as agent_config
    from agent.base.driver import Registry
    from agent.replay import build_core, open_recorded, replay

    registry = Registry()
    config = agent_config.parse(settings, "<models.eeg_offline>", registry)
    out = io.StringIO()
    replay(config, open_recorded(path, registry=registry), out, core=build_core(config))
    return [tick for tick in map(json.loads, out.getvalue().splitlines()) if tick["distress"] is not None]


def _tally(counts: Counter, subject: str, tick: dict) -> None:
    up = tick["level"] != "calm"
    counts.update({"decided": 1, f"decided {subject}": 1, "up": up, f"up {subject}": up,
                   "distressed": tick["level"] == "distressed",
                   "gamma first": up and tick["reasons"][0].startswith("more fast activity")})
    over = [int(m) for r in tick["reasons"] for m in re.findall(r"gamma share \+(\d+) %", r)]
    counts["gamma most"] = max([counts["gamma most"], *over])


def _shares(counts: dict[str, Counter]) -> dict[str, object]:
    return {c: {"elevated_or_above": round(n["up"] / n["decided"], 2),
                "by_subject": {s: round(n[f"up {s}"] / n[f"decided {s}"], 2) for s in "abcd" if n[f"decided {s}"]},
                "distressed": round(n["distressed"] / n["decided"], 2),
                "gamma_first": round(n["gamma first"] / n["decided"], 2),
                "gamma_most_over_resting_pct": n["gamma most"]} for c, n in counts.items()}


WITHIN_FILE_CALIBRATION_S = 30  # the files last about a minute: half of it calibrates, half is decided


def muse() -> dict[str, object]:
    """The deployed model at a headband, EEG alone. Per condition after calibration: the share of decided
    ticks at *elevated* or above (pooled and per subject), at *distressed*, and whose first reason is
    gamma's share. ``joined``: each subject's files as one session, calibrated on the relaxed ones;
    ``within_file``: each calm file on its own, calibrated on its first 30 s (no refitting of the headband
    between calibration and decisions, but a shorter calibration)."""
    joined: dict[str, Counter] = {}
    within: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for subject in "abcd":
            path, ends = join_muse(subject, Path(tmp))
            for tick in _replayed(path):
                condition = next((c for c, end in ends if tick["t"] <= end), ends[-1][0])
                _tally(joined.setdefault(condition, Counter()), subject, tick)
    for path in muse_files():
        subject, condition = path.stem.removeprefix("subject")[0], path.stem.split("-")[1]
        if condition != "concentrating":  # calibrated on a task, it would have nothing to find
            for tick in _replayed(path, f"[baseline]\ncalibration_s = {WITHIN_FILE_CALIBRATION_S}\n"):
                _tally(within.setdefault(condition, Counter()), subject, tick)
    return {"joined": _shares(joined), "within_file": _shares(within)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["screen", "cleanliness", "muse"])
    parser.add_argument("--c", type=float, default=0.1, help="the screen's inverse regularisation")
    args = parser.parse_args()
    if args.check == "screen":
        tables = eegmat_tables()
        for label, name in ((0, "rest"), (1, "task")):
            z = np.concatenate([s["gamma"][(s["t"] > CALIBRATION_S) & (s["y"] == label), 0]
                                for k, s in tables.items() if k in scored(tables)])
            print(f"gamma's z-score after calibration, {name}: median {np.median(z):.2f}, "
                  f"90th percentile {np.percentile(z, 90):.2f}")
        for name, (blocks, cap) in SCREENS.items():
            scores = screen(tables, blocks, cap, args.c)
            print(f"{name:30s} {np.mean(list(scores.values())):.3f}  (worst {min(scores.values()):.3f})", flush=True)
    else:
        print(json.dumps(cleanliness() if args.check == "cleanliness" else muse(), indent=2))


if __name__ == "__main__":
    main()
