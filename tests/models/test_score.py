"""``python -m models.score``: replay output scored against its labels exactly as the evaluation scores it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from models.sampling import DRAWS, rank
from models.score import EVALUATION


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=110, cwd=cwd)


@pytest.fixture(scope="module")
def s5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WESAD S5 replayed with the committed model, as ``evaluation.json``'s check replays it."""
    out = tmp_path_factory.mktemp("replay") / "S5.jsonl"
    done = run("agent", "replay", json.loads(EVALUATION.read_text())["check"]["recording"], "--out", str(out),
               cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return out


def test_a_replay_scores_as_the_evaluation_recorded_it(s5: Path, tmp_path: Path):
    evaluation = json.loads(EVALUATION.read_text())
    check = evaluation["check"]  # WESAD S5 replayed with the committed model
    as_json = run("models.score", "wesad", str(s5), "--json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["macro_f1"] == check["macro_f1"]  # the evaluation's own rule and functions
    assert figures["per_subject"]["S5"]["macro_f1"] == check["macro_f1"]
    assert figures["stressors_reaching_distressed"] == 1  # WESAD's level figures come with it
    assert "one_line_eda_reference" not in figures  # only with --recordings
    text = run("models.score", "wesad", str(s5), cwd=tmp_path).stdout
    assert f"pooled macro-F1 {check['macro_f1']:.3f} over 1 recording," in text
    subjects = len(evaluation["loso"]["wesad"]["per_subject"])
    assert f"over 1 of its {subjects} subjects" in text


def test_the_reference_is_scored_on_the_ticks_both_decide(s5: Path, tmp_path: Path):
    recording = json.loads(EVALUATION.read_text())["check"]["recording"]
    done = run("models.score", "wesad", str(s5), "--recordings", recording, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shared = json.loads(done.stdout)["one_line_eda_reference"]
    # the model's side, worked out from the replay alone: its decided, scored ticks from 10 minutes in (S5's
    # skin conductance is there throughout, so the reference decides every one of them)
    ticks = [json.loads(line) for line in s5.read_text().splitlines()]
    kept = [t for t in ticks if t["t"] >= 600 and t["distress"] is not None and t.get("label") in (1, 2, 3)]
    truth, said = [t["label"] == 2 for t in kept], [t["distress"] >= 0.5 for t in kept]
    assert shared["ticks"] == len(kept)
    assert shared["model"]["macro_f1"] == round(f1_score(truth, said, average="macro"), 4)
    assert shared["fitted_on"] == len(json.loads(EVALUATION.read_text())["loso"]["wesad"]["per_subject"])
    assert 0.5 < shared["reference"]["per_subject"]["S5"] <= 1.0  # S5's skin conductance rises in the TSST
    text = run("models.score", "wesad", str(s5), "--recordings", recording, cwd=tmp_path).stdout
    assert f"on the {len(kept):,} ticks both decide" in text
    assert f"the model pools {shared['model']['macro_f1']:.3f} and the one-line reference" in text


def test_a_recording_that_is_not_the_replays_is_refused(s5: Path, tmp_path: Path):
    other = str(Path(json.loads(EVALUATION.read_text())["check"]["recording"]).with_name("S9_wrist.npz"))
    done = run("models.score", "wesad", str(s5), "--recordings", other, cwd=tmp_path)
    assert done.returncode == 65 and done.stdout == ""
    assert f"{other} is not the recording S5's replay was made from: " in done.stderr


def test_the_reference_needs_skin_conductance_and_a_recording_per_file(s5: Path, tmp_path: Path):
    done = run("models.score", "eegmat", str(s5), "--recordings", str(s5), cwd=tmp_path)
    assert done.returncode == 2 and "eegmat has no one-line reference: it needs skin conductance" in done.stderr
    done = run("models.score", "wesad", str(s5), str(s5), "--recordings", str(s5), cwd=tmp_path)
    assert done.returncode == 2 and "one recording per file, in the same order (2 files, 1 recording)" in done.stderr


def test_two_files_of_one_name_are_refused(s5: Path, tmp_path: Path):
    twin = tmp_path / "S5.jsonl"
    twin.write_bytes(s5.read_bytes())
    done = run("models.score", "wesad", str(s5), str(twin), cwd=tmp_path)
    assert done.returncode == 65 and "two files share a name" in done.stderr


def test_a_malformed_line_is_named_and_nothing_is_scored(tmp_path: Path):
    good = {"t": 0.0, "distress": 0.2, "level": "calm", "confidence": 1.0, "reasons": [], "label": 1}
    bad = tmp_path / "S9.jsonl"
    bad.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"t": 0.25}) + "\n[1, 2]\n")
    done = run("models.score", "wesad", str(bad), cwd=tmp_path)
    assert done.returncode == 65 and done.stdout == ""
    assert f"{bad}: lines 2, 3, 4 are not ticks of `edge-agent replay`" in done.stderr
    bad.write_text(json.dumps(good) + "\n[1, 2]\n")
    assert f"{bad}: line 2 is not a tick of" in run("models.score", "wesad", str(bad), cwd=tmp_path).stderr


def test_a_replay_without_labels_is_refused_with_the_reason(tmp_path: Path):
    unlabelled = tmp_path / "S9.jsonl"
    unlabelled.write_text(json.dumps({"t": 0.0, "distress": 0.2, "level": "calm", "reasons": []}) + "\n")
    done = run("models.score", "eegmat", str(unlabelled), cwd=tmp_path)
    assert done.returncode == 65
    assert "no tick has a label; its recording has none to score against" in done.stderr


def test_a_figure_is_ranked_among_draws_of_as_many_subjects():
    right, wrong = [[10, 0], [0, 10]], [[0, 10], [10, 0]]
    confusions = [right, right, right, wrong]
    assert rank(1.0, confusions, 2)["below_share"] == 0.5  # the three pairs with the wrong subject
    assert rank(0.0, confusions, 2)["below_share"] == 0.0
    more = rank(0.9, confusions, 6)  # more subjects than LOSO has: drawn with replacement
    assert more["draws"] == DRAWS and more["p05"] < more["median"] <= more["p95"]
