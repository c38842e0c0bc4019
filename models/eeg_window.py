"""Is the EEG window right? A nested check of ``[features.eeg] window_s``: ``python -m models.eeg_window``.

The EEG features are Welch averages over the last ``window_s`` of 2-s segments.
A long window is steadier and survives blinks; a short one follows a change
sooner, and EEGMAT's tasks last 60 s. For each length of ``WINDOWS_S`` every
subject's feature table is extracted with it, and the deployed candidate (its
kind and anchoring constant, from ``evaluation.json``) is evaluated by LOSO
through the core; each subject is given the length that wins the training
criterion over every *other* subject (``models.nested.nested_choice``). The
EEG-only ablations are printed beside it, since the EEG-only target depends
on this length most.

Kept apart from ``models.train``, which would otherwise run three times over
(about 13 minutes here). It prints, and changes nothing: a length other than
the agent's default winning would be a reason to change the default and retrain.
"""

from __future__ import annotations

from agent.core.features import FeatureConfig
from agent.core.signals.eeg import EegConfig
from models.calibration import deployed_candidate
from models.datasets import DATASETS
from models.features_cache import tables
from models.fit import ABLATION_RECIPES
from models.loso import score_subjects
from models.nested import anchor_settings, choice_line, criterion, nested_choice, per_subject_f1
from models.subjects import prepare
from models.train import ablation, loso_results

WINDOWS_S = (4.0, 6.0, 10.0)  # 6 s: the default before 4 s (20 s before that lost to 6 s and 10 s for every subject)


def main() -> None:
    jobs, kind, anchor, weights = deployed_candidate(__doc__)
    settings = anchor_settings(anchor)
    f1s = {}
    for window in WINDOWS_S:
        config = FeatureConfig(eeg=EegConfig(window_s=window))
        found = {name: tables(DATASETS[name], progress=False, config=config) for name in DATASETS}
        subjects = [s for n in DATASETS for s in prepare(DATASETS[n], found[n], settings)]
        results, _ = loso_results(subjects, (kind,), "all", weights, jobs, settings)[kind]
        f1s[window] = per_subject_f1(results)
        pooled = {d: score_subjects(v)["macro_f1"] for d, v in results.items()}
        ablations = {view: ablation(subjects, kind, view, weights, jobs, settings)["macro_f1"]
                     for view in ABLATION_RECIPES}
        print(f"EEG window {window:g} s: criterion {criterion(f1s[window]):.4f}; pooled macro-F1 {pooled}; "
              f"EEGMAT {ablations}", flush=True)
    print(choice_line(nested_choice(f1s), EegConfig().window_s), flush=True)


if __name__ == "__main__":
    main()
