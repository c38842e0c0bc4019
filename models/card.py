"""The model card and its plots, written from the same numbers as ``evaluation.json`` (never by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.core.baseline import BaselineOptions
from agent.core.model.metadata import ModelMetadata
from models.baseline_eda import card_lines
from models.card_limits import limits, pct
from models.card_tried import TRIED
from models.datasets import DATASETS
from models.export import Additive
from models.sampling import card_section

ABLATIONS = {  # evaluation.json's ablations, as the card names them
    "eeg-only": "a model trained on EEG alone",
    "eeg-no-gamma": "a model trained on EEG alone, without the gamma band",
    "deployed-eeg-worn": "the deployed model with only EEG worn: what the agent runs on an EEG headset alone",
}


def _f(v: object) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _dataset_rows(loso: dict[str, dict]) -> list[str]:
    rows = ["| Dataset | Subjects | Macro-F1 pooled | Per subject, mean ± sd | Worst subject | Coverage | Brier | ECE |",
            "|---|---|---|---|---|---|---|---|"]
    for name, e in loso.items():
        rows.append(f"| {name} | {e['subjects']} | **{_f(e['macro_f1'])}** | {_f(e['macro_f1_subject_mean'])} ± "
                    f"{_f(e['macro_f1_subject_sd'])} | {_f(e['macro_f1_worst'])} ({', '.join(e['worst_subjects'][:1])}) | "
                    f"{_f(e['coverage'])} | {_f(e['brier'])} | {_f(e['reliability']['ece'])} |")
    return rows


ALONE = {"cardiac": "the heart alone (a chest strap, or a wrist pulse)", "eda": "skin conductance alone (a GSR band)",
         "eeg": "EEG alone (a headset)"}


def _alone_rows(evaluation: dict) -> list[str]:
    """What one sensor group alone gets, beside every sensor of the dataset worn."""
    rows = ["| Worn alone | Dataset | Macro-F1 pooled | Per subject, mean | Worst subject | Coverage | Every sensor |",
            "|---|---|---|---|---|---|---|"]
    for group, per in evaluation.get("one_group_alone", {}).items():
        for name, e in per.items():
            rows.append(f"| {ALONE[group]} | {name} | **{_f(e['macro_f1'])}** | {_f(e['macro_f1_subject_mean'])} | "
                        f"{_f(e['macro_f1_worst'])} ({e['worst_subjects'][0]}) | {_f(e['coverage'])} | "
                        f"{_f(evaluation['loso'][name]['macro_f1'])} |")
    return rows


def _subject_rows(e: dict) -> list[str]:
    keys = ["macro_f1", "coverage", "delay_distressed_s", "delay_elevated_s", "rest_distressed_share",
            "rest_elevated_or_above_share"]
    present = [k for k in keys if any(k in v for v in e["per_subject"].values())]
    rows = ["| Subject | " + " | ".join(present) + " |", "|---" * (len(present) + 1) + "|"]
    for s, v in e["per_subject"].items():
        rows.append(f"| {s} | " + " | ".join(_f(v.get(k)) for k in present) + " |")
    unscored = [s for s, v in e["per_subject"].items() if v.get("coverage") is None]
    if unscored:
        rows += ["", f"Replayed but not scored, with no labelled tick after calibration: {', '.join(unscored)}."]
    one_class = [s for s, v in e["per_subject"].items() if v.get("coverage") is not None and v.get("macro_f1") is None]
    if one_class:
        rows += ["", "In the pooled figures but with no macro-F1 of their own, one condition alone labelled after "
                 f"calibration: {', '.join(one_class)} (\"Known limits\")."]
    return rows


def _level_summary(name: str, e: dict) -> list[str]:
    """The level metrics of a dataset whose recordings hold one stressor (the issue's targets are WESAD's)."""
    if "stressors_reaching_distressed" not in e:
        return []
    return [
        f"- {name}: stressors reaching *distressed*: **{e['stressors_reaching_distressed']} of {e['subjects']}**; "
        f"median delay from the stressor's onset {_f(e.get('median_delay_distressed_s'))} s "
        f"(to *elevated*: {_f(e.get('median_delay_elevated_s'))} s).",
        f"- {name}: share of decided rest time (not hold) at *distressed*: median subject "
        f"{_f(e.get('median_rest_distressed_share'))}, pooled {_f(e.get('pooled_rest_distressed_share'))}; over 2 %: "
        f"{', '.join(e.get('over_limit_rest_distressed_share') or []) or 'none'}.",
        f"- {name}: share of decided rest time at *elevated* or above: median subject "
        f"{_f(e.get('median_rest_elevated_or_above_share'))}, pooled "
        f"{_f(e.get('pooled_rest_elevated_or_above_share'))}; over 10 %: "
        f"{', '.join(e.get('over_limit_rest_elevated_or_above_share') or []) or 'none'}.",
    ]


def _worst(loso: dict[str, dict]) -> list[str]:
    """The three worst subjects of each dataset and where their errors lie."""
    rows = ["| Dataset | Subject | Macro-F1 | Calm ticks called stress | Stress ticks called calm | Coverage |",
            "|---|---|---|---|---|---|"]
    for name, e in loso.items():
        for s in e["worst_subjects"]:
            v = e["per_subject"][s]
            rows.append(f"| {name} | {s} | {_f(v.get('macro_f1'))} | {_f(v.get('false_alarm_share'))} | "
                        f"{_f(v.get('missed_share'))} | {_f(v.get('coverage'))} |")
    return rows


def _terms(model: Additive, meta: ModelMetadata) -> list[str]:
    rows = ["| Feature | Unit | Group | Term |", "|---|---|---|---|"]
    for j, (name, unit, group) in enumerate(zip(meta.features, meta.units, meta.groups, strict=True)):
        parts = []
        if model.coef is not None:
            parts.append(f"{model.coef[j]:+.3f} per baseline spread")
        if model.table is not None:
            parts.append(f"from {model.table[j].min():+.2f} to {model.table[j].max():+.2f} over its bins")
        term = ", plus ".join(parts)
        rows.append(f"| `{name}` | {unit} | {group} | {term} |")
    return rows


def plot_reliability(path: Path, loso: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect")
    for name, e in loso.items():
        bins = e["reliability"]["bins"]
        ax.plot([b[1] for b in bins], [b[2] for b in bins], marker="o", label=f"{name} (ECE {e['reliability']['ece']:.2f})")
    ax.set_xlabel("mean predicted distress")
    ax.set_ylabel("observed share of stress ticks")
    ax.set_title("Reliability, LOSO through the core")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# What each dataset's label codes are, for the timelines: (code, colour, name).
CONDITIONS = {
    "wesad": ((1, "#cde6c7", "green rest"), (2, "#f4b6b6", "red TSST stress"), (3, "#fbe7a1", "yellow amusement"),
              (4, "#c9dcf2", "blue meditation")),
    "stress-predict": ((0, "#cde6c7", "green baseline and rests"), (1, "#f4b6b6", "red stress tasks")),
    "eegmat": ((0, "#cde6c7", "green rest"), (1, "#f4b6b6", "red mental arithmetic")),
}
COLUMNS = {"wesad": 1, "stress-predict": 2, "eegmat": 4}  # EEGMAT's four minutes fit a narrow panel
LEVEL_Y = {"hold": -0.1, "calm": 0.0, "elevated": 0.55, "distressed": 0.7}


def plot_timelines(path: Path, dataset: str, timelines: dict[str, dict[str, np.ndarray]]) -> None:
    """Each subject of ``dataset``: distress over time, the level, and the labelled conditions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(timelines, key=lambda k: int(k.split("/S")[1]))
    cols = COLUMNS.get(dataset, 1)
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 1.3 * rows + 0.4), dpi=90, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):  # the grid may have spare axes
        tl = timelines[key]  # models.train.timeline: t, label, distress, level per tick
        t, label = tl["t"] / 60, tl["label"]
        for code, colour, _ in CONDITIONS[dataset]:
            ax.fill_between(t, 0, 1, where=label == code, color=colour, step="post", linewidth=0)
        ax.plot(t, tl["distress"], color="black", linewidth=0.7)
        ax.plot(t, [LEVEL_Y[str(x)] for x in tl["level"]], color="#b03030", linewidth=0.9, drawstyle="steps-post")
        ax.set_ylim(-0.15, 1.0)
        ax.set_ylabel(key.split("/")[1], rotation=0, labelpad=14)
        ax.set_yticks([])
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    fig.supxlabel("minutes (" + ", ".join(n for _, _, n in CONDITIONS[dataset])
                  + "; black distress, red level)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _timeline_section(plotted: Sequence[str]) -> list[str]:
    lines = ["### Timelines (LOSO: each subject decided by a model trained without it)", ""]
    for dataset in CONDITIONS:
        if dataset in plotted:
            lines += [f"**{dataset}**", "", f"![{dataset} timelines](timelines-{dataset}.png)", ""]
    return lines


def _selection(evaluation: dict) -> list[str]:
    """How the kind and the settings were chosen, the nested figures of choosing a kind per subject, the kinds."""
    dep, cand, every = evaluation["deployed"], evaluation["candidates"], evaluation["nested_every_kind"]
    datasets = list(next(iter(cand.values()))["datasets"])
    return [
        "### How the model was chosen",
        "",
        f"**Deployed: the {dep['kind']}** (the mean of the logistic, GAM and boosted members' logits), fixed",
        "since the single kinds tied and flipped between subjects (`models/nested.py` says how). The single",
        "kinds are fitted on the same rows in every fold and evaluated beside it, as a comparison that does not",
        "compete. Criterion, declared before the first comparison: the mean over the datasets of the mean",
        f"per-subject LOSO macro-F1; the deployed kind's is {dep['criterion']:.4f}.",
        "",
        f"**The settings** are the agent's defaults (`[baseline] anchor_tau_s` = {dep['anchor_tau_s']:g} s among",
        "them). Each one chosen on these subjects has its own nested check, kept apart from training: the",
        "re-anchoring constant `python -m models.anchor`, the others as \"Reproduce\" lists them. The figures",
        "under \"Metrics\" are LOSO at those defaults, so they saw those choices and are slightly optimistic;",
        "each check's nested figures (each subject scored by the value chosen without it) are in \"Known limits\".",
        "",
        "**Choosing a kind per subject instead** (nested: each subject decided by the kind that wins the",
        "criterion over every *other* subject): "
        + "; ".join(f"{d} {_f(e['macro_f1'])}" for d, e in every["figures"].items())
        + " (chosen: " + "; ".join(f"{k} for {v}" for k, v in every["chosen_counts"].items()) + ").",
        "",
        "**The kinds** (LOSO per model: pooled macro-F1, mean per subject, worst; * = deployed):",
        "",
        "| Model | Criterion | " + " | ".join(datasets) + " |",
        "|---" * (len(datasets) + 2) + "|",
        *(f"| {k}{' *' if v['deployed'] else ''} | {v['criterion']:.4f} | " + " | ".join(
            f"{_f(e['macro_f1'])} (mean {_f(e['macro_f1_subject_mean'])}, worst {_f(e['macro_f1_worst'])})"
            for e in v["datasets"].values()) + " |" for k, v in cand.items()),
        "",
        "(Criterion to four places, as it is compared.)",
        "",
    ]


def write_card(folder: Path, meta: ModelMetadata, model: Additive, evaluation: dict,
               timelines: dict[str, dict[str, np.ndarray]]) -> None:
    """The card (``distress.md``) and its plots, in ``folder``."""
    plot_reliability(folder / "reliability.png", evaluation["loso"])
    for old in folder.glob("timelines-*.png"):
        old.unlink()
    plotted = []
    for dataset in CONDITIONS:
        mine = {k: v for k, v in timelines.items() if k.startswith(f"{dataset}/")}
        if mine:
            plot_timelines(folder / f"timelines-{dataset}.png", dataset, mine)
            plotted.append(dataset)
    (folder / "distress.md").write_text(card_text(meta, _terms(model, meta), evaluation, plotted))


def card_text(meta: ModelMetadata, terms: list[str], evaluation: dict, plotted: Sequence[str]) -> str:
    """The card's Markdown: the model's ``terms`` (its Inputs table), and the datasets whose timelines are
    ``plotted``. Everything else comes from ``meta`` and ``evaluation``, so a test can render the committed
    card again from the committed files alone."""
    loso = evaluation["loso"]
    lines = [
        f"# Model card: distress model {meta.model_version}",
        "",
        f"File `distress.onnx` ({meta.kind}), created {meta.created}. Generated by `python -m models.train`;",
        "do not edit by hand.",
        "",
        "## Intended use",
        "",
        "The agent's distress model. At each tick it scores every usable feature (available, from a sensor",
        "group whose quality passes, with a resting level) as a z-score against the patient's own resting",
        "baseline, and returns the probability of acute stress with each feature's exact term in the logit;",
        "the policy turns it into a level with hysteresis, and the terms into the reasons. One model serves",
        "any subset of sensors: it was trained with sensor groups randomly removed. It steers the intensity",
        "of a VR scene; it is not a diagnostic device and must not be used to make clinical decisions.",
        "",
        "## Protocol",
        "",
        "- Features come from the agent's core (`models/extract.py` runs `agent.replay.ticks`, the code of",
        "  `edge-agent replay`), ticked at 4 Hz.",
        "- Calibration is the deployed one: from the recording's start, with no knowledge of where rest is,",
        f"  each sensor group on its own first {BaselineOptions().calibration_s:g} s of trustworthy data,",
        "  then re-anchored towards calmer stretches (`agent.core.anchor.Anchor`); skin conductance's level",
        "  also follows it upwards while the heart's smoothed rate is at most"
        f" {100 * BaselineOptions().skin_anchor_heart_margin:g} % over its resting rate",
        "  (`skin_anchor_tau_s`, `skin_anchor_heart_margin`), or was within the last"
        f" {BaselineOptions().skin_anchor_heart_s:g} s it was",
        "  trustworthy (`skin_anchor_heart_s`).",
        "- Training adds to each tick a copy with sensor groups removed at random (never all), so that any",
        "  subset of sensors works. A copy left without a heart has its skin conductance scaled as a session",
        "  with no heart sensor scales it, where the skin's level never follows a calm heart",
        "  (`models.fit.augmented`).",
        "- Binary target: WESAD stress (TSST) vs baseline + amusement; Stress-Predict label 1 vs 0; EEGMAT",
        "  task vs rest. Decided ticks (not hold) after calibration with a scored label count.",
        f"- Leave-one-subject-out over all {sum(e['subjects'] for e in loso.values())} subjects at once: each",
        "  held-out subject's ticks are decided by the core's policy with a model trained only on the others,",
        "  exported to ONNX and loaded by the runtime (`models/loso.py`); a test holds this to `edge-agent replay`.",
        "",
        "## Metrics (LOSO through the core, the deployed candidate)",
        "",
        *_dataset_rows(loso),
        "",
        *[ln for name, e in loso.items() for ln in _level_summary(name, e)],
        "- Calibration from the recording's start against calibration on WESAD's rest condition (the held-out",
        "  subject's replay begun at its rest): macro-F1 " + _f(loso.get("wesad", {}).get("macro_f1")) + " against "
        + _f(evaluation.get("wesad_calibrated_on_rest", {}).get("macro_f1")) + ".",
        "- The one-line reference (60-s mean skin conductance z-scored against the recording's first 10",
        "  minutes, through a logistic regression, LOSO; `models/baseline_eda.py`): "
        + ", ".join(f"{k} {_f(v)}" for k, v in evaluation.get("one_line_eda_reference", {}).items()) + ".",
        *card_lines(evaluation.get("one_line_eda_reference_shared_ticks", {})),
        "",
        "![reliability](reliability.png)",
        "",
        *card_section(evaluation.get("held_out_spread", {})),
        *_selection(evaluation),
        "### EEG without muscle (EEGMAT)",
        "",
        *(f"- {view} ({ABLATIONS[view]}): macro-F1 pooled {_f(e['macro_f1'])}, "
          f"per subject {_f(e['macro_f1_subject_mean'])}; rest at *elevated* or above "
          f"{pct(e.get('pooled_rest_elevated_or_above_share'))}, at *distressed* "
          f"{pct(e.get('pooled_rest_distressed_share'))}; tasks reaching *distressed* "
          f"{e.get('stressors_reaching_distressed')} of {e['subjects']}, median delay "
          f"{_f(e.get('median_delay_distressed_s'))} s" for view, e in evaluation["ablations"].items()),
        "",
        "### One sensor alone",
        "",
        "One model serves any subset of sensors. Here the deployed candidate's own fold models decide each held-out",
        "subject again with only one sensor group's features worn, the others' never given: what a patient with",
        "only that sensor gets. Through the core, LOSO, calibration from the recording's start, as above. The",
        "heart's beats come from a wrist pulse (PPG) in WESAD and Stress-Predict, which no sensor of ours gives",
        "alone and whose quality gate (motion, unclear pulses) holds about half the time there, and from an ECG",
        "lead, as a chest strap's, in EEGMAT. Each figure is over the ticks that sensor alone could decide: where",
        "its coverage is low, it is not the session's figure, and not comparable with every sensor's.",
        "",
        *_alone_rows(evaluation),
        "",
        "### The worst subjects, and where their errors lie",
        "",
        *_worst(loso),
        "",
        "A subject whose errors are mostly calm ticks called stress stays aroused after a stressor or",
        "during a condition labelled calm (WESAD's amusement, Stress-Predict's rests between tasks); one",
        "whose errors are stress ticks called calm barely reacts to the task, or reacts later than its label.",
        "",
        "### Per subject",
        "",
    ]
    for name, e in loso.items():
        lines += [f"**{name}**", "", *_subject_rows(e), ""]
    if plotted:
        lines += _timeline_section(plotted)
    lines += [
        "## The check",
        "",
        f"`{evaluation['check']['recording']}` replayed with this model by `edge-agent replay`: "
        f"{evaluation['check']['ticks']} ticks, SHA-256 `{evaluation['check']['sha256'][:16]}…`, macro-F1 "
        f"{_f(evaluation['check']['macro_f1'])} (trained on this subject too; not a LOSO figure).",
        "",
        "## Inputs",
        "",
        *terms,
        "",
        f"Normalisation `{meta.normalisation}`. Sensor group weights for the confidence: {meta.group_weights}.",
        "Trained with the agent's default `[features]` settings, recorded in the model: `edge-agent check`",
        "and the agent's start-up log name any setting a configuration changes (say `[features.eeg] window_s`).",
        "",
        "## Data",
        "",
        *(f"- **{n}**: {DATASETS[n].citation}." for n in meta.datasets),
        f"- {meta.subjects} subjects. SHA-256 of the recordings: `{meta.data_sha256}`.",
        "",
        "## Reproduce",
        "",
        "```sh",
        "pip install -c constraints.txt -e '.[train]'  # the versions that reproduce this model",
        "python -m models.train          # features cached under ~/.cache/vr-edge-agent",
        "python -m models.anchor         # nested check of [baseline] anchor_tau_s: prints only (about 20 min)",
        "python -m models.calibration    # nested check of [baseline] calibration_s: prints only (about 13 min)",
        "python -m models.eeg_window     # nested check of [features.eeg] window_s: prints only (about 13 min)",
        "python -m models.skin_anchor    # nested check of [baseline] skin_anchor_tau_s: prints only (about 15 min)",
        "python -m models.skin_heart     # nested check of [baseline] skin_anchor_heart_s: prints only (about 15 min)",
        "python -m models.skin_margin    # nested check of [baseline] skin_anchor_heart_margin: prints only (about 16 min)",
        "python -m models.eeg_smoothing  # nested check of [policy] eeg_alone_tau_s: prints only (about 2 min)",
        "python -m models.rise           # nested check of [policy] windowed_rise_share: prints only (about 15 min)",
        "python -m models.capacity       # nested check of the members' regularisation (models.fit.Recipe): prints only (about 22 min)",
        "python -m models.eeg_recipe     # nested check of the EEG ablations' regularisation (models.fit.ABLATION_RECIPES): prints only (under 1 min)",
        "python -m models.variant --settings $'[features.eeg]\\nwindow_s = 6'  # one idea by LOSO: prints only (about 6 min)",
        "python -m models.variant --seed 1  # the same recipe, another training draw (what a draw alone moves): prints only (about 4 min)",
        "python -m models.screen cardiac-by-source --policy  # a quick look at a modelling idea: prints only (about 7 min; 3 at tick level)",
        "python -m models.errors         # where the deployed model's LOSO errors fall, by condition and time, and how it reads WESAD's meditation: prints only (about 4 min)",
        "python -m models.eeg_offline screen  # EEGMAT's EEG screened outside the core; also cleanliness, muse: prints only (seconds)",
        "edge-agent replay wesad-wrist/S5_wrist.npz --out S5.jsonl && python -m models.score wesad S5.jsonl  # a replay scored as the evaluation scores it: prints only (seconds)",
        "python -m models.score wesad S5.jsonl --recordings wesad-wrist/S5_wrist.npz  # the same, beside the one-line reference over the ticks both decide (seconds)",
        "```",
        "",
        "## Tried and not kept",
        "",
        TRIED,
        "## Known limits",
        "",
        limits(evaluation),
    ]
    return "\n".join(lines)
