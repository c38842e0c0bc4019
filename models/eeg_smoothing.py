"""How much should the slow state be smoothed while EEG alone votes? ``python -m models.eeg_smoothing``:
a nested check of ``[policy] eeg_alone_tau_s`` (``agent.core.policy``).

EEG band powers over 4 s follow a task's onset within seconds, and rest's own
swings as well. With a cardiac sensor beside it the heart steadies the
estimate; with an EEG headset alone nothing does, and the slow state's 5-s
smoothing (``windowed_tau_s``, set for the cardiac features' 10-s windows) lets
those swings through. This check gives EEG alone its own time constant. The
deployed candidate's fold models (its kind and anchoring constant, from
``evaluation.json``; trained by LOSO with every sensor) decide each EEGMAT
subject again with only its EEG worn, once per value of ``TAUS_S``, and each
subject is given the value that wins the criterion over every *other* subject
(``models.nested.nested_choice``). The criterion is the mean per-subject
macro-F1 of those decisions: what a patient with only an EEG headset gets.
Sessions with any other sensor are decided exactly as before, so the training
criterion cannot tell the values apart. The models trained on EEG alone (with
and without gamma) are printed beside it.

How it was chosen, said plainly: before this check was written (2026-12-05),
the shared ``windowed_tau_s`` was measured pooled on EEGMAT at 3, 8 and 12 s:
the EEG-without-gamma model 0.778, 0.816, 0.819 against 0.799 at 5 s, and the
fused model 0.880, 0.875, 0.866 against 0.879, which is why EEG alone gets its
own constant and the shared one stays. The grid and the rule were declared
before the check's first run: the agent's default is the value the nested
choice gives the most subjects. On 2026-12-06, after 20 s, then the grid's edge,
had won every subject, the grid was extended by 40 s, declared before its first
run, with the rule unchanged. Each run's figures, and why it ran, are in the
model card's "Known limits" (``models/card_choices.py``), not repeated here, where
they would drift from the default it set. Kept apart from ``models.train``
(about 2 minutes); it prints, and changes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from agent.core.policy import PolicyOptions
from models.calibration import deployed_candidate
from models.datasets import DATASETS
from models.features_cache import tables
from models.fit import ABLATION_RECIPES
from models.loso import score_subjects
from models.nested import anchor_settings, verdict
from models.subjects import prepare
from models.train import ablation, alone_results, loso_results

TAUS_S = (5.0, 10.0, 20.0, 40.0)  # the shared windowed constant, twice it, four times, eight times (since 2026-12-06)


def main() -> None:
    jobs, kind, anchor, weights = deployed_candidate(__doc__)
    found = {name: tables(DATASETS[name], progress=False) for name in DATASETS}
    base = anchor_settings(anchor)
    subjects = [s for n in DATASETS for s in prepare(DATASETS[n], found[n], base)]
    results = {}
    with tempfile.TemporaryDirectory(prefix="edge-agent-eeg-smoothing-") as keep:
        loso_results(subjects, (kind,), "all", weights, jobs, base, only=("eegmat",), keep=Path(keep))
        for tau in TAUS_S:
            settings = f"{base}\n[policy]\neeg_alone_tau_s = {tau!r}\n"
            results[tau] = {"eegmat": alone_results(subjects, kind, Path(keep), settings, jobs, only=("eegmat",))[
                "eeg"]["eegmat"]}
            worn = score_subjects(results[tau]["eegmat"])
            ablations = {view: ablation(subjects, kind, view, weights, jobs, settings)["macro_f1"]
                         for view in ABLATION_RECIPES}
            print(f"eeg_alone_tau_s {tau:g} s: EEGMAT, deployed model with only EEG worn: macro-F1 "
                  f"{worn['macro_f1']}, per-subject mean {worn['macro_f1_subject_mean']}, rest at elevated or above "
                  f"{worn['pooled_rest_elevated_or_above_share']}; models trained on EEG alone {ablations}", flush=True)
    print(verdict(results, PolicyOptions().eeg_alone_tau_s), flush=True)


if __name__ == "__main__":
    main()
