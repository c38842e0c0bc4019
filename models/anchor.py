"""How fast should a resting level follow a calmer stretch after calibration?
``python -m models.anchor``: a nested check of ``[baseline] anchor_tau_s`` (``agent.core.anchor.Anchor``).

After calibration each feature's resting level follows a calmer stretch than
the one it was calibrated on, with this time constant, and never follows
arousal. The deployed candidate (its kind, from ``evaluation.json``) is
evaluated by LOSO through the core with each constant of ``ANCHORS_S``, and
each subject is given the one that wins the training criterion over every
*other* subject (``models.nested``).

How it was chosen, said plainly: the constant was chosen with the model kind
inside ``models.train`` from its first run (2026-12-03), on grids declared
before each run: 60, 120 and 300 s first (300 s for 66 of 67 subjects, 60 s
for none), then 120, 300 and 600 s, since 300 s sat at the first grid's edge.
600 s has been chosen for every subject in each run since 2026-12-04; once,
outside the grid, 1200 s lost (criterion 0.8038 against 0.8203, the model card's
"Tried and not kept"). The grid moved here on 2026-12-07, unchanged, because it
tripled training's time (the last run inside training: criteria 0.8280,
0.8351 and 0.8390 at 120, 300 and 600 s; 600 s for 67 of 67 subjects). The
rule, as for every such check: the agent's default is the constant the nested
choice gives the most subjects. Kept apart from ``models.train`` (about 20
minutes); it prints, and changes nothing.
"""

from __future__ import annotations

from agent.core.baseline import BaselineOptions
from models.calibration import settings_check
from models.nested import anchor_settings
from models.skin_anchor import wesad_levels

ANCHORS_S = (120.0, 300.0, 600.0)  # as declared on 2026-12-04: 60 s had won no subject, 300 s sat at the edge


def main() -> None:
    # each value replaces the checked candidate's constant rather than adding to its settings
    settings_check(__doc__, ANCHORS_S, lambda _base, tau: anchor_settings(tau), "anchor_tau_s",
                   BaselineOptions().anchor_tau_s, detail=wesad_levels)


if __name__ == "__main__":
    main()
