"""Where the errors fall: each decided, scored tick counted once, in its stretch and its time since the change."""

from __future__ import annotations

import numpy as np

from models.datasets import DATASETS
from models.errors import EDGES_S, Errors, add, report, unscored

HZ = 4.0


def timeline(spans: list[tuple[int, float]], distress: np.ndarray) -> dict[str, np.ndarray]:
    label = np.concatenate([np.full(int(s * HZ), code, dtype=np.int8) for code, s in spans])
    return {"t": (np.arange(label.size) / HZ).astype(np.float32), "label": label,
            "distress": distress.astype(np.float32)}


def test_errors_are_counted_by_stretch_and_by_time_since_the_change():
    # EEGMAT-like: 180 s of rest (the first 120 s calibrating), then 60 s of task missed for its first 10 s,
    # and a false alarm over the last 5 s of rest
    n_rest, n_task = int(180 * HZ), int(60 * HZ)
    p = np.full(n_rest + n_task, 0.1)
    p[: int(120 * HZ)] = np.nan  # calibration: no decision
    p[n_rest - int(5 * HZ): n_rest] = 0.9
    p[n_rest + int(10 * HZ):] = 0.8
    errors = Errors()
    add(errors, timeline([(0, 180), (1, 60)], p), DATASETS["eegmat"])
    assert errors.stretch == {(0, 0): [240, 20], (1, 1): [240, 40]}
    assert errors.total == 60
    rest, task = errors.since[0], errors.since[1]
    # rest ticks are decided from 120 s after the change: all in the 120-240 s bin, the false alarms among them
    assert rest[EDGES_S.index(120.0)].tolist() == [240, 20] and rest[:, 0].sum() == 240
    assert task[0].tolist() == [60, 40] and task[1].tolist() == [60, 0] and task[2].tolist() == [120, 0]
    text = report("eegmat", errors, DATASETS["eegmat"])
    assert "0: calm (0), 240 ticks, 0.083, 0.333" in text and "1: stress (1), 240 ticks, 0.167, 0.667" in text
    assert "stress by time since the change, error rate (share of the errors): 0-15 s: 0.67 (0.67); 15-30 s: 0.00" in text


def test_unscored_conditions_and_held_ticks_count_nowhere_and_positions_skip_them():
    # WESAD-like: transient (0, unscored), baseline (1), stress (2), meditation (4, unscored), amusement (3)
    spans = [(0, 10), (1, 60), (2, 30), (4, 20), (3, 20)]
    n = int(sum(s for _, s in spans) * HZ)
    p = np.full(n, 0.2)
    p[int(70 * HZ): int(100 * HZ)] = 0.7  # stress called
    p[int(80 * HZ): int(84 * HZ)] = np.nan  # held for 4 s during the stress
    errors = Errors()
    add(errors, timeline(spans, p), DATASETS["wesad"])
    assert errors.stretch == {(0, 1): [240, 0], (1, 2): [104, 0], (2, 3): [80, 0]}
    assert errors.since[..., 0].sum() == 240 + 104 + 80 and errors.total == 0


def test_meditation_is_reported_apart_split_by_whether_the_stressor_came_just_before():
    # WESAD-like, two subjects: meditation after amusement and after the stressor (a transient between)
    spans = [(1, 60), (3, 20), (4, 20), (2, 30), (0, 5), (4, 20)]
    n = int(sum(s for _, s in spans) * HZ)
    calm_after = np.full(n, 0.2)
    calm_after[int(100 * HZ): int(130 * HZ)] = 0.9  # the stressor called
    alarmed = calm_after.copy()
    alarmed[int(135 * HZ): int(145 * HZ)] = 0.8  # half the meditation after the stressor read as stress
    alarmed[int(145 * HZ): int(150 * HZ)] = np.nan  # and its last 5 s held: not decided
    timelines = {"wesad/S2": timeline(spans, calm_after), "wesad/S3": timeline(spans, alarmed),
                 "eegmat/S01": timeline([(0, 10)], np.full(40, 0.9))}
    lines = unscored(timelines, DATASETS["wesad"])
    assert lines[0] == ("  not scored, meditation (4): 300 decided ticks, at distress >= 0.5 0.133 "
                        "(right after the stressor 0.286 of 140; otherwise 0.000 of 160); "
                        # as calm: 240 stress ticks all called, 940 calm with 40 called stress -> (0.9231 + 0.9783) / 2
                        "scored as calm, pooled macro-F1 0.9507")
    assert lines[1] == ("    per subject, each stretch in order: S2 0.00, 0.00 after the stressor; "
                        "S3 0.00, 0.67 after the stressor")
    assert unscored(timelines, DATASETS["eegmat"]) == []
