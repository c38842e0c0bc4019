"""How calm must the heart be for the skin's resting level to follow? ``python -m models.skin_margin``: a nested
check of ``[baseline] skin_anchor_heart_margin`` (``agent.core.anchor.Anchor``).

Skin conductance's resting level follows it upwards only while the heart is
calm (``models.skin_anchor``), and calm meant a smoothed rate at or below the
resting level. A resting heart's smoothed rate sits above its own mean about
half the time, so the skin's level seldom followed: after a task, where the
skin stays up while the heart settles, and (what prompted the check) in a first
rest whose skin conductance climbs after calibration. With a margin, the heart
counts as calm up to that fraction over its resting rate; what it changed, and
what it did not, is in the model card's "Known limits". The deployed candidate
(its kind and anchoring constant, from ``evaluation.json``) is evaluated by
LOSO through the core with each value of ``MARGINS`` (0: as before), and each
subject is given the one that wins the training criterion over every *other*
subject (``models.nested``).

How it was chosen, said plainly: the idea came on 2026-12-07 from the LOSO
errors of the first ten minutes (Stress-Predict's first rest called stress 18 %
of the time before 300 s and 24 % from 300 to 600 s, in subjects whose skin
conductance sat 1.7 to 6.4 SD over its calibration). Before this check was
written, ``models.variant`` with a code change measured it pooled, together
with a second change not kept here (a heart still taking its resting level
counted as calm), against the committed criterion 0.8300: that change alone
0.8315; with a margin of 3 %, 0.8390 (Stress-Predict 0.690, WESAD 0.936);
with 6 %, 0.8401 (0.686, 0.943). The grid and the rule were declared before
the check's first run: the agent's default is the value the nested choice
gives the most subjects. Kept apart from ``models.train`` (about 16 minutes);
it prints, and changes nothing.
"""

from __future__ import annotations

from agent.core.baseline import BaselineOptions
from models.calibration import settings_check
from models.skin_anchor import wesad_levels

MARGINS = (0.0, 0.03, 0.06, 0.10)  # at or below resting (as before); 3 %, 6 %, 10 % over it


def main() -> None:
    settings_check(__doc__, MARGINS, lambda base, margin: f"{base}skin_anchor_heart_margin = {margin!r}\n",
                   "skin_anchor_heart_margin", BaselineOptions().skin_anchor_heart_margin, unit="",
                   detail=wesad_levels)


if __name__ == "__main__":
    main()
