"""Each recording format is detected and loads the right streams, units and values.

Expected values come from reading the shared files independently (csv
module, ``np.load``), not through the loaders under test.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from agent.base.stream import Modality
from drivers.replay.formats import FORMATS, detect, open_recording
from drivers.replay.plugin import FormatName
from drivers.replay.recording import RecordingUnreadable, Track


def tracks_of(path: Path, streams: tuple[str, ...] | None = None) -> dict[str, Track]:
    return {t.name: t for t in open_recording(path, "auto", streams)}


def shape_of(t: Track) -> tuple[Modality, tuple[str, ...], str, float | None]:
    return (t.spec.modality, t.spec.channels, t.spec.unit, t.spec.rate_hz)


@pytest.mark.parametrize(
    ("relative", "format_name"),
    [
        ("wesad-wrist/S5_wrist.npz", "wesad-npz"),
        ("stress-predict/raw/S02", "e4-folder"),
        ("muse-eeg/subjectb-relaxed-2.csv", "muse-csv"),
        ("rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt", "rr-intervals"),
        ("rr-intervals/pyhrv_SampleNNISeriesLong.npy", "rr-intervals"),
        ("rr-intervals/hrvanalysis_test_nn_intervals.txt", "rr-intervals"),
        ("eegmat/Subject02.npz", "eegmat-npz"),
        ("biosignal-samples/bio_resting_5min_100hz.csv", "biosignal-csv"),
        ("biosignal-samples/ecg_1000hz.csv", "biosignal-csv"),
        ("rr-intervals/pyhrv_SampleECG.txt", "opensignals-txt"),
    ],
)
def test_format_is_detected_from_path_and_contents(data: Path, relative: str, format_name: str) -> None:
    assert detect(data / relative).NAME == format_name


def test_option_format_names_match_the_loaders() -> None:
    assert set(get_args(FormatName)) == {"auto", *FORMATS}


def test_wesad_streams_and_values(data: Path) -> None:
    path = data / "wesad-wrist/S5_wrist.npz"
    tracks = tracks_of(path)
    assert {n: shape_of(t) for n, t in tracks.items()} == {
        "eda": (Modality.EDA, ("eda",), "µS", 4.0),
        "bvp": (Modality.PPG, ("bvp",), "a.u.", 64.0),
        "temp": (Modality.TEMP, ("temp",), "°C", 4.0),
        "acc": (Modality.ACC, ("x", "y", "z"), "g", 4.0),
        "label": (Modality.OTHER, ("condition",), "code", 4.0),
    }
    with np.load(path, allow_pickle=False) as z:
        n = z["label"].shape[0]
        assert [len(t) for t in tracks.values()] == [n, 16 * n, n, n, n]
        i = 12_345
        assert tracks["eda"].x[i, 0] == z["eda"][i]
        assert tracks["temp"].x[i, 0] == z["temp"][i]
        assert tracks["acc"].x[i].tolist() == pytest.approx((z["acc"][i] / 64).tolist(), rel=1e-6)
        assert tracks["label"].x[i, 0] == z["label"][i]
        assert tracks["bvp"].x[16 * i : 16 * i + 16, 0].tolist() == z["bvp_64"][16 * i : 16 * i + 16].tolist()
        # bvp_64[16*i:16*i+16] belongs to label[i]: the two streams share one timeline
        assert tracks["bvp"].offset(16 * i) == tracks["label"].offset(i) == i / 4


def _e4_csv(path: Path) -> tuple[float, float, list[list[float]]]:
    with path.open() as fh:
        rows = list(csv.reader(fh))
    return float(rows[0][0]), float(rows[1][0]), [[float(v) for v in r] for r in rows[2:]]


def test_stress_predict_e4_folder_streams_offsets_and_values(data: Path) -> None:
    folder = data / "stress-predict/raw/S02"
    tracks = tracks_of(folder, ("eda", "bvp", "hr", "acc", "temp", "rr", "label"))
    assert {n: shape_of(t) for n, t in tracks.items()} == {
        "eda": (Modality.EDA, ("eda",), "µS", 4.0),
        "bvp": (Modality.PPG, ("bvp",), "a.u.", 64.0),
        "hr": (Modality.HR, ("hr",), "bpm", 1.0),
        "acc": (Modality.ACC, ("x", "y", "z"), "g", 32.0),
        "temp": (Modality.TEMP, ("temp",), "°C", 4.0),
        "rr": (Modality.RR, ("rr",), "s", None),
        "label": (Modality.OTHER, ("stress",), "code", 1.0),
    }
    eda_start, _, eda = _e4_csv(folder / "EDA.csv")
    hr_start, _, hr = _e4_csv(folder / "HR.csv")
    acc_start, _, acc = _e4_csv(folder / "ACC.csv")
    assert len(tracks["eda"]) == len(eda) and tracks["eda"].x[500, 0] == np.float32(eda[500][0])
    assert tracks["acc"].x[1000].tolist() == pytest.approx([v / 64 for v in acc[1000]], rel=1e-6)
    # the E4 starts HR 10 s late (a 10 s average); offsets keep that, device_t is unix time
    assert tracks["hr"].offset(0) == hr_start - eda_start == 10.0
    assert tracks["hr"].x[7, 0] == np.float32(hr[7][0])
    assert tracks["hr"].device_origin + tracks["hr"].offset(7) == hr_start + 7
    assert acc_start == eda_start and tracks["acc"].offset(32) == 1.0


def test_an_e4_folder_gives_the_vendors_heart_rate_and_beats_only_when_named(data: Path) -> None:
    # HR.csv and IBI.csv are Empatica's software's reading of BVP.csv: by default the agent finds its own
    # beats in the pulse, as it was trained to, and the vendor's intervals do not compete with them
    folder = data / "stress-predict/raw/S02"
    assert set(tracks_of(folder)) == {"eda", "bvp", "acc", "temp", "label"}
    assert set(tracks_of(folder, ("bvp", "rr"))) == {"bvp", "rr"}
    assert set(tracks_of(folder, ("hr",))) == {"hr"}


def _linked_copy(source: Path, folder: Path) -> Path:
    """A folder of links to ``source``'s files, whose files can be swapped for damaged ones."""
    folder.mkdir(parents=True)
    for f in source.iterdir():
        (folder / f.name).symlink_to(f)
    return folder


def _damage(folder: Path, text: str, *names: str) -> None:
    for name in names:
        (folder / name).unlink()
        (folder / name).write_text(text)


@pytest.mark.parametrize("damage", ["", "t0, IBI\n", "not a header\n1,2\n"])
def test_a_damaged_vendor_file_stops_only_a_replay_that_loads_it(data: Path, tmp_path: Path, damage: str) -> None:
    # an export whose HR.csv or IBI.csv is empty or damaged (no beats found, a cut-off copy) still replays the
    # signals the agent uses, on the same timeline; naming the damaged stream is the error it was
    folder = _linked_copy(data / "stress-predict/raw/S02", tmp_path / "S02")
    whole = tracks_of(folder)
    _damage(folder, damage, "IBI.csv", "HR.csv")
    damaged = tracks_of(folder)
    assert set(damaged) == set(whole) - {"label"} == {"eda", "bvp", "acc", "temp"}  # labels live two folders up
    for name, track in damaged.items():
        assert track.device_origin == whole[name].device_origin and track.offset(0) == whole[name].offset(0)
        assert track.x.tolist() == whole[name].x.tolist()
    for stream, file in (("rr", "IBI.csv"), ("hr", "HR.csv")):
        with pytest.raises(RecordingUnreadable, match=file):
            tracks_of(folder, ("bvp", stream))


@pytest.mark.parametrize("damage", ["", "not a header\n1,2\n", "1645000000.0\n4.0\n31.5\nthirty\n"])
def test_a_damaged_skin_temperature_is_left_out_unless_named(data: Path, tmp_path: Path, damage: str) -> None:
    # no feature uses the skin temperature: a damaged TEMP.csv (empty, a garbage header, a garbage sample) must
    # not stop a replay of the signals the agent decides from, nor move them; naming it is still an error
    source = data / "stress-predict/raw/S02"
    folder = _linked_copy(source, tmp_path / "S02")
    whole = tracks_of(folder)
    _damage(folder, damage, "TEMP.csv")
    damaged = tracks_of(folder)
    assert set(damaged) == set(whole) - {"label", "temp"} == {"eda", "bvp", "acc"}
    for name, track in damaged.items():
        assert track.device_origin == whole[name].device_origin and track.offset(0) == whole[name].offset(0)
        assert track.x.tolist() == whole[name].x.tolist()
    with pytest.raises(RecordingUnreadable, match="TEMP.csv"):
        tracks_of(folder, ("eda", "temp"))
    for needed in ("EDA.csv", "ACC.csv"):  # a file the agent decides from still stops the replay, named or not
        broken = _linked_copy(source, tmp_path / f"broken-{needed}" / "S02")
        _damage(broken, damage, needed)
        with pytest.raises(RecordingUnreadable, match=needed):
            tracks_of(broken)


def test_stress_predict_ibi_becomes_rr_with_seq_gaps(data: Path) -> None:
    folder = data / "stress-predict/raw/S02"
    rr = tracks_of(folder, ("rr",))["rr"]
    with (folder / "IBI.csv").open() as fh:
        rows = [[float(v) for v in r] for r in list(csv.reader(fh))[1:]]
    beats, intervals = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    assert rr.x[:, 0].tolist() == pytest.approx(intervals.tolist())
    assert rr.times_s is not None and rr.times_s.tolist() == pytest.approx(beats.tolist())  # IBI t0 == session start
    # where an interval does not start at the previous beat, beats are missing: seq jumps
    tiled = np.abs((beats[1:] - intervals[1:]) - beats[:-1]) < 1e-3
    assert rr.seq is not None
    steps = np.diff(rr.seq)
    assert (steps[tiled] == 1).all() and (steps[~tiled] >= 2).all() and (~tiled).sum() > 0


def test_stress_predict_label_stream_comes_from_labels_1hz(data: Path) -> None:
    folder = data / "stress-predict/raw/S02"
    label = tracks_of(folder, ("label",))["label"]
    with (data / "stress-predict/labels_1hz.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["Participant"] == "2"]
    start, _, _ = _e4_csv(folder / "EDA.csv")
    assert len(label) == len(rows)
    assert label.x[:, 0].tolist() == [float(r["Label"]) for r in rows]
    assert label.offset(0) == float(rows[0]["Time(sec)"]) - start
    assert set(label.x[:, 0].tolist()) == {0.0, 1.0}


def test_muse_csv_keeps_its_timestamps_and_gaps(data: Path) -> None:
    path = data / "muse-eeg/subjectb-relaxed-2.csv"
    eeg = tracks_of(path)["eeg"]
    assert shape_of(eeg) == (Modality.EEG, ("TP9", "AF7", "AF8", "TP10", "Right AUX"), "µV", 256.0)
    with path.open() as fh:
        rows = [[float(v) for v in r] for r in list(csv.reader(fh))[1:]]
    stamps = np.array([r[0] for r in rows])
    assert len(eeg) == len(rows)
    assert eeg.x[4000].tolist() == pytest.approx(rows[4000][1:], rel=1e-6)
    assert eeg.device_origin + eeg.offset(4000) == pytest.approx(stamps[4000], abs=1e-6)
    gaps = np.flatnonzero(np.diff(stamps) > 2 / 256)
    assert eeg.seq is not None and len(gaps) == 9
    steps = np.diff(eeg.seq)
    assert np.flatnonzero(steps != 1).tolist() == gaps.tolist()
    assert steps[gaps].tolist() == np.rint(np.diff(stamps)[gaps] * 256).astype(int).tolist()


def test_unbroken_muse_file_has_no_seq_array(data: Path) -> None:
    assert tracks_of(data / "muse-eeg/subjecta-relaxed-1.csv")["eeg"].seq is None


def test_rr_text_and_npy_give_the_same_beats(data: Path) -> None:
    txt = tracks_of(data / "rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt")["rr"]
    npy = tracks_of(data / "rr-intervals/pyhrv_SampleNNISeriesShort.npy")["rr"]
    ms = [float(line) for line in (data / "rr-intervals/pyhrv_SampleNNISeriesShort_ms.txt").read_text().split()]
    assert shape_of(txt) == (Modality.RR, ("rr",), "s", None)
    assert len(txt) == len(ms) == 337
    assert txt.x[:, 0].tolist() == pytest.approx([v / 1000 for v in ms], rel=1e-6)
    assert txt.times_s is not None and txt.times_s[2] == pytest.approx(sum(ms[:3]) / 1000)
    assert npy.x.tolist() == txt.x.tolist() and npy.times_s is not None
    assert npy.times_s.tolist() == txt.times_s.tolist()


def _held_tail(rows: np.ndarray) -> int:
    """How many rows at the end of ``rows`` hold every channel still in runs of 50 or more (0.1 s at 500 Hz)."""
    n, end = len(rows), len(rows)
    while True:
        start = end - 1
        while start > 0 and (rows[start - 1] == rows[end - 1]).all():
            start -= 1
        if end - start < 50:
            return n - end
        end = start


def test_eegmat_is_scaled_to_physical_units_rest_then_task_without_the_files_padding(data: Path) -> None:
    path = data / "eegmat/Subject02.npz"
    tracks = tracks_of(path)
    assert {n: shape_of(t) for n, t in tracks.items()} == {
        "eeg": (Modality.EEG, ("Fp1", "Fp2", "F7", "F8", "T3", "T4"), "µV", 500.0),
        "ecg": (Modality.ECG, ("ECG",), "µV", 500.0),
        "label": (Modality.OTHER, ("segment",), "code", None),
    }
    with np.load(path, allow_pickle=False) as z:
        rest, task = z["rest"], z["task"]
        i, j = 1234, 5678
        rest_phys = rest[i] * z["rest_scale"] + z["rest_offset"]
        task_phys = task[j] * z["task_scale"] + z["task_offset"]
    # the files' last two seconds hold all seven channels still: EDF padding, not a recording
    rest_pad, task_pad = _held_tail(rest), _held_tail(task)
    assert 900 < rest_pad < 1100 and 900 < task_pad < 1100
    kept_rest = len(rest) - rest_pad
    assert len(tracks["eeg"]) == len(tracks["ecg"]) == kept_rest + len(task) - task_pad
    assert tracks["eeg"].x[i].tolist() == pytest.approx(rest_phys[:6].tolist(), rel=1e-5)
    assert tracks["eeg"].x[kept_rest + j].tolist() == pytest.approx(task_phys[:6].tolist(), rel=1e-5)
    assert tracks["ecg"].x[i, 0] == pytest.approx(rest_phys[6] * 1000, rel=1e-5)  # mV -> µV
    labels = tracks["label"]
    assert labels.x[:, 0].tolist() == [0.0, 1.0] and labels.times_s is not None
    assert labels.times_s.tolist() == [0.0, kept_rest / 500]  # the task's first sample, not a whole second


@pytest.mark.parametrize(
    ("name", "rate", "columns"),
    [
        ("bio_eventrelated_100hz.csv", 100.0, ("ecg", "eda", "photosensor", "rsp")),
        ("bio_resting_5min_100hz.csv", 100.0, ("ecg", "ppg", "rsp")),
        ("ecg_1000hz.csv", 1000.0, ("ecg",)),
    ],
)
def test_biosignal_csv_one_stream_per_column(data: Path, name: str, rate: float, columns: tuple[str, ...]) -> None:
    path = data / "biosignal-samples" / name
    tracks = tracks_of(path)
    assert tuple(tracks) == columns
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    k = len(rows) // 3
    for column, t in tracks.items():
        assert t.spec.rate_hz == rate and len(t) == len(rows)
        raw = float(next(v for c, v in rows[k].items() if c.lower() == column))
        if column == "ecg":
            assert shape_of(t) == (Modality.ECG, ("ecg",), "µV", rate)
            assert t.x[k, 0] == pytest.approx(raw * 1000, rel=1e-6)
        else:
            assert t.x[k, 0] == pytest.approx(raw, rel=1e-6)
    if "eda" in tracks:
        assert tracks["eda"].spec.modality is Modality.EDA and tracks["eda"].spec.unit == "µS"


def test_bitalino_opensignals_ecg_in_microvolts(data: Path) -> None:
    path = data / "rr-intervals/pyhrv_SampleECG.txt"
    ecg = tracks_of(path)["ecg"]
    assert shape_of(ecg) == (Modality.ECG, ("ecg",), "µV", 1000.0)
    rows = [line.split() for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(ecg) == len(rows) and ecg.seq is None  # its 4-bit nSeq counter never skips
    k = 12_000
    adc = float(rows[k][5])  # column A2, 10-bit
    assert ecg.x[k, 0] == pytest.approx((adc / 1024 - 0.5) * 3.3 / 1100 * 1e6, rel=1e-6)
    assert ecg.x.min() > -1500 and ecg.x.max() < 1500  # the sensor's range is ±1.5 mV


def test_opensignals_counter_jump_is_a_gap(tmp_path: Path, data: Path) -> None:
    lines = (data / "rr-intervals/pyhrv_SampleECG.txt").read_text().splitlines()
    body = [line for line in lines[3:] if line.strip()]
    cut = tmp_path / "ecg.txt"
    cut.write_text("\n".join(lines[:3] + body[:100] + body[105:200]) + "\n")  # five samples lost
    ecg = tracks_of(cut)["ecg"]
    assert ecg.seq is not None and ecg.seq.tolist() == list(range(100)) + list(range(105, 200))
    assert ecg.offset(100) == pytest.approx(0.105)
