"""``python -m models.variant``: a bad option is named with its fix in one message, and subjects are
counted better or worse only beyond a tie."""

from __future__ import annotations

import pytest

from models.fit import Recipe
from models.variant import TIE, compared, parse


def test_a_variant_takes_agent_settings_settling_times_and_a_recipe():
    assert parse([]).recipe == Recipe()  # the committed model's draw and regularisation
    args = parse(["--settings", "[features.eeg]\nwindow_s = 6\n[policy]\nwindowed_tau_s = 3",
                  "--settle", "eegmat=0", "--settle", "wesad=30", "--seed", "2", "--penalty", "10", "--stumps", "100"])
    features = args.config.top.features  # what the tables are extracted with
    assert features.eeg.window_s == 6.0 and features.tick_hz == 4.0  # the rest stay the agent's defaults
    assert args.config.top.policy.windowed_tau_s == 3.0
    assert args.settle == {"eegmat": 0.0, "wesad": 30.0}
    assert args.recipe == Recipe(seed=2, penalty=10.0, stumps=100)


def test_every_wrong_option_is_named_in_one_message(capsys):
    with pytest.raises(SystemExit) as exc:
        parse(["--settings", "[features.eeg]\nwindw_s = 6\n[features]\ntick_hz = -1",
               "--settle", "eegmap=1", "--settle", "eegmat=x", "--penalty", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    for part in ("features.eeg.windw_s: unknown key", "features.tick_hz: Input should be greater than 0",
                 "--settle eegmap=1", "--settle eegmat=x", "DATASET one of wesad, stress-predict, eegmat",
                 "--penalty and --stumps: give numbers above 0"):
        assert part in err


def test_subjects_count_better_or_worse_only_beyond_a_tie():
    committed = {"eegmat": {"S01": 0.80, "S02": 0.80, "S03": 0.80, "S04": 0.80}}
    mine = {"eegmat": {"S01": 0.80 + TIE, "S02": 0.80 + TIE / 2, "S03": 0.80 - TIE, "S04": 0.70, "S99": 1.0}}
    assert compared(mine, committed) == {"eegmat": (1, 2)}  # S99 was never scored by the committed model
