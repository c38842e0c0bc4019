"""How long may a heart that has stopped being trustworthy still let the skin's resting level follow it?
``python -m models.skin_heart``: a nested check of ``[baseline] skin_anchor_heart_s`` (``agent.core.anchor.Anchor``).

Skin conductance's resting level follows it upwards only while the heart is
calm (``models.skin_anchor``), and until now only at a second when the heart
rate was trustworthy. A wrist pulse's quality gate holds about half of
Stress-Predict's and WESAD's ticks, so the skin's level rarely followed there.
With ``skin_anchor_heart_s``, the heart's smoothed rate still counts for that
long after it was last trustworthy. The deployed candidate (its kind and
anchoring constant, from ``evaluation.json``) is evaluated by LOSO through the
core with each value of ``HOLDS_S`` (0: only while trustworthy, as before), and
each subject is given the one that wins the training criterion over every
*other* subject (``models.nested``).

How it was chosen, said plainly: the idea came on 2026-12-06 from reading why
the skin's anchor so seldom moved; measured pooled before this check was
written, with the committed model's settings otherwise (criteria 0.8274 at 0,
0.8298 at 30 s, 0.8303 at 120 s). The rule, declared before the check's first
run: the agent's default is the value the nested choice gives the most subjects.
Kept apart from ``models.train`` (about 15 minutes); it prints, and changes
nothing.
"""

from __future__ import annotations

from agent.core.baseline import BaselineOptions
from models.calibration import settings_check
from models.skin_anchor import wesad_levels

HOLDS_S = (0.0, 30.0, 120.0, 300.0)  # as before; half a skin window; two of them; five minutes


def main() -> None:
    settings_check(__doc__, HOLDS_S, lambda base, hold: f"{base}skin_anchor_heart_s = {hold!r}\n",
                   "skin_anchor_heart_s", BaselineOptions().skin_anchor_heart_s, detail=wesad_levels)


if __name__ == "__main__":
    main()
