"""``python -m models.score``: replay output scored against its labels exactly as the evaluation scores it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from models.sampling import DRAWS, rank
from models.score import EVALUATION


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=110, cwd=cwd)


def test_a_replay_scores_as_the_evaluation_recorded_it(tmp_path: Path):
    evaluation = json.loads(EVALUATION.read_text())
    check = evaluation["check"]  # WESAD S5 replayed with the committed model
    out = tmp_path / "S5.jsonl"
    done = run("agent", "replay", check["recording"], "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    as_json = run("models.score", "wesad", str(out), "--json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["macro_f1"] == check["macro_f1"]  # the evaluation's own rule and functions
    assert figures["per_subject"]["S5"]["macro_f1"] == check["macro_f1"]
    assert figures["stressors_reaching_distressed"] == 1  # WESAD's level figures come with it
    text = run("models.score", "wesad", str(out), cwd=tmp_path).stdout
    assert f"pooled macro-F1 {check['macro_f1']:.3f} over 1 recording," in text
    subjects = len(evaluation["loso"]["wesad"]["per_subject"])
    assert f"over 1 of its {subjects} subjects" in text


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
