"""The model card's record of what was chosen on these subjects and how: fixed text, the second half of its
known limits (``models.card_limits``). Each item says what was looked at before a choice, which nested check
made it, and each run of that check.
"""

from __future__ import annotations

CHOICES = """\
- **What was chosen on these subjects, and what was fixed before.** Chosen by nested LOSO: the
  baseline's re-anchoring time constant, with the kind inside training until 2026-12-07 and by its own
  check since (`python -m models.anchor`). The grid moved twice after nested runs (`models/nested.py`
  and `models/anchor.py` say how): the ensemble kind was added when the three single kinds came out a
  near-tie that flipped between subjects, and the 60-s anchor, chosen for no subject, made way for
  600 s; then, when the kinds tied again with the 6-s EEG window, the single kinds were kept as a
  comparison only. So the ensemble was chosen on these subjects, once removed; the nested figures of
  choosing a kind per subject are given beside the kinds. The anchor's last run inside training
  (2026-12-07, with a hold no evidence for *distressed*) chose 600 s for 67 of 67 subjects (criteria
  0.8280, 0.8351, 0.8390 at 120, 300, 600 s); it moved out of training, whose time its grid tripled
  (58 minutes on a slower machine, past the 30-minute budget), and its first run as a check gave the
  same criteria and 600 s for 65 of 65 (nested pooled WESAD 0.940, Stress-Predict 0.686, EEGMAT
  0.905; at 120 s WESAD's worst subject fell to 0.723). Two defaults were checked by nested
  LOSO of the deployed candidate outside training (`python -m models.eeg_window`, and
  `python -m models.calibration`, 2026-12-03): an EEG window of 4 s won for 64 of 65 subjects
  (2026-12-04, after the whole-window rule below; criteria 0.7987, against 0.7969 at 6 s and 0.7933
  at 10 s; 6 s for one subject). The EEG-only ablations go the other way (without gamma 0.799 at 4 s,
  0.807 at 6 s, 0.818 at 10 s), but they are not the criterion. An earlier run of the same check,
  before the rule, had moved the window from 20 s to 6 s for 65 of 65 subjects, after EEGMAT's
  timelines showed task onsets missed while a 20-s window still held mostly rest. The calibration
  length (120 s) won for 64 of 65 (criteria 0.7838, against 0.7794 at 60 s and 0.7811 at 90 s; 90 s
  for one subject). The window's check, run again without EEGMAT's padding ("Until 2026-12-06"
  above; 2026-12-06, after the smoothing settings below), gave 4 s to 65 of 65 (criteria 0.8274,
  against 0.8235 at 6 s and 0.8145 at 10 s; EEG without gamma 0.764, 0.773, 0.788, none reaching
  0.80), and the calibration's, run again the same day, kept 120 s for 65 of 65 (criteria 0.8086 at
  60 s, 0.8236 at 90 s, 0.8274 at 120 s; pooled EEGMAT 0.874, 0.894, 0.903). 120 s is that grid's
  edge: a longer calibration would leave EEGMAT's three-minute rest under a minute to be scored on, and
  was not tried. Both checks were run again once training's copies without a heart took the skin as a
  session without one scales it (2026-12-06): the window kept 4 s for 65 of 65 (criteria 0.8291,
  0.8246 and 0.8165 at 4, 6 and 10 s; EEG without gamma 0.764, 0.773, 0.788), and the calibration
  120 s for 64 of 65, 90 s for one (criteria 0.8104, 0.8274 and 0.8291 at 60, 90 and 120 s; pooled
  Stress-Predict 0.665, 0.680, 0.676 and EEGMAT 0.877, 0.897, 0.904; nested pooled macro-F1 WESAD
  0.930, Stress-Predict 0.676, EEGMAT 0.895).
- **The whole-window rule for EEG artifacts was chosen after looking at these subjects.** A channel
  used to count with 4 clean segments in its window. EEGMAT-only LOSO (ensemble, 600-s anchor) showed
  that needing more of them helped and needing fewer hurt (EEG without gamma: 0.799 with 4 of 4 s,
  0.772 with 2 of 4, 0.778 with 3 of 4; 0.805 with 6 of 6 s, 0.779 with 4 of 6, 0.774 with 2 of 6;
  fused 0.884, 0.874, 0.872; 0.871, 0.864, 0.859), and a lower blink threshold (50 µV) did less
  (0.794 with 4 of 4 s). So it is a choice made on these subjects; the window was then chosen by the
  nested check above.
- **Skin conductance following a calm heart was found by looking at these subjects.** In Stress-Predict
  the skin conductance climbs with the first stressor and stays up through every later rest (z +4 to +8
  in three subjects), while the heart still tells task from rest; the anchor, which followed only calmer
  stretches, read those rests as stress. So the skin's resting level now also follows it upwards while
  the heart's smoothed rate is at or below its own resting level (`[baseline] skin_anchor_tau_s`). The
  mechanism came from those subjects' z-scores, and its time constant was measured pooled at 600, 120
  and 300 s before its nested check was declared; that check (`python -m models.skin_anchor`,
  2026-12-05) gave 300 s to 64 of 65 subjects and 120 s to one (criteria 0.7987 without it, 0.8072 at
  120 s, 0.8086 at 300 s, 0.8029 at 600 s; nested pooled macro-F1 WESAD 0.924, Stress-Predict 0.639,
  EEGMAT 0.884). Run again without EEGMAT's padding (2026-12-06), it gave 300 s to 64 of 65 and 120 s
  to one again (criteria 0.8103 without it, 0.8261 at 120 s, 0.8274 at 300 s, 0.8192 at 600 s;
  nested pooled macro-F1 WESAD 0.931, Stress-Predict 0.666, EEGMAT 0.903). Run a third time once
  training's copies without a heart took the skin as a session without one scales it (below), it gave
  300 s to all 65 (criteria 0.8102 without it, 0.8268 at 120 s, 0.8291 at 300 s, 0.8256 at 600 s;
  nested pooled macro-F1 WESAD 0.930, Stress-Predict 0.676, EEGMAT 0.904). Without a heart sensor it
  never acts. Until 2026-12-06 it acted only at a second when the heart rate was trustworthy, and a
  wrist pulse's quality gate holds about half of WESAD's and Stress-Predict's ticks; now the heart's
  last calm still counts for `[baseline] skin_anchor_heart_s` after it was last trustworthy. That came
  from reading why the anchor so seldom moved, and was measured pooled at 30 and 120 s (criteria 0.8298
  and 0.8303 against 0.8274) before its nested check was declared; that check (`python -m
  models.skin_heart`, 2026-12-06) gave 120 s to 64 of 65 subjects and 30 s to one (criteria 0.8274 at
  0, 0.8298 at 30 s, 0.8303 at 120 s, 0.8292 at 300 s; nested pooled macro-F1 WESAD 0.935,
  Stress-Predict 0.672, EEGMAT 0.904). Run again once training's copies without a heart took the skin
  as a session without one scales it (below), it gave 120 s to 64 of 65 subjects and 300 s to one
  (criteria 0.8229 at 0, 0.8276 at 30 s, 0.8291 at 120 s, 0.8288 at 300 s; nested pooled macro-F1
  WESAD 0.930, Stress-Predict 0.675, EEGMAT 0.904).
- **The heart's calm was given a margin for the skin after looking at these subjects (2026-12-07).**
  By LOSO, Stress-Predict's first rest, before any task, was called stress 17.5 % of the time before
  300 s and 24 % from 300 to 600 s, most of it in subjects whose skin conductance climbed after
  calibration (S04, S05, S09, S18, S20: 1.7 to 6.4 SD over it through that rest), and WESAD S5 the
  same (72 % of its calm ticks before 600 s). A resting heart's smoothed rate sits above its own mean
  about half the time, so "at or below its resting level" seldom held and the skin's level seldom
  followed. The heart now counts as calm up to `[baseline]
  skin_anchor_heart_margin` over its resting rate. Measured pooled with a code change before its nested
  check was declared, together with a heart still taking its resting level counted as calm ("Tried and
  not kept"): criteria 0.8390 at 3 % and 0.8401 at 6 % against 0.8300. That check (`python -m
  models.skin_margin`, 2026-12-07) gave 6 % to 64 of 65 subjects and 3 % to one (criteria 0.8300 at 0,
  0.8370 at 3 %, 0.8379 at 6 %, 0.8369 at 10 %; nested pooled macro-F1 WESAD 0.933, Stress-Predict
  0.683, EEGMAT 0.905). It did not gain where it was aimed. Retrained, the first rest is called stress as
  often as before (Stress-Predict 20 % before 300 s and 26 % from 300 to 600 s; S09 87 %, S18 89 %,
  WESAD S5 73 %): there the wrist pulse has mostly not finished its own calibration, so no heart is calm
  yet. Nor did most of those climbs come from a band's electrodes settling during calibration, which a
  level read from calibration's end would catch: in S09, S18 and S20 skin conductance was flat through
  calibration (under 0.04 µS a minute) and climbed after it, in S04, S18 and S20 with responses rising to
  8 to 11 a minute before the first task, as arousal does; only S05's climbed through calibration itself.
  The gain is in the rests after a task, where the heart settles within a few percent of its resting
  rate while the skin stays up: from 600 s on, Stress-Predict's calm ticks called stress fell
  from 28.1 % to 21.5 % (S30 98 % to 33 %), and its stress ticks missed rose from 37.0 % to 41.2 %.
  The two nested checks of the skin's anchoring were then run again on the margin of 6 %, their grids
  and rules as committed. `models.skin_anchor` kept 300 s (63 of 65 subjects, 600 s for 2; criteria
  0.8111 without it, 0.8348, 0.8379, 0.8374 at 120, 300, 600 s; nested pooled macro-F1 WESAD 0.935,
  Stress-Predict 0.682, EEGMAT 0.905). `models.skin_heart` moved from 120 s to 300 s (300 s for 64 of
  65, 120 s for 1; criteria 0.8334, 0.8367, 0.8379, 0.8380 at 0, 30, 120, 300 s; nested pooled WESAD
  0.938, Stress-Predict 0.684, EEGMAT 0.906), so by its rule the default is now 300 s, and the model
  was retrained with it. 120 s and 300 s differ by 0.0001, which is where the data cannot choose
  (below); that item also lists the other nested checks, run again on the margin as well.
- **Training's copies without a heart carried the skin as a heart had scaled it, until 2026-12-06.**
  The copies with sensor groups removed stand for patients who wear fewer sensors, but a copy without
  a heart kept the skin's z-scores as the heart had re-anchored them, which no GSR band worn alone
  gets. Skin conductance alone scored 0.853 on WESAD and 0.485 on Stress-Predict, below the one-line
  reference (0.497). Those copies now take the skin as the baseline scales it with no heart sensor
  worn (`models.fit.augmented`): 0.885 and 0.555. Every sensor together pays 0.004 on WESAD (0.934 to
  0.930; Stress-Predict 0.674 to 0.676, EEGMAT 0.904 either way; criterion 0.8303 to 0.8291), and
  the same with the draw's seed 1 (WESAD 0.934 to 0.930, skin alone 0.853 to 0.885 and 0.485 to
  0.557): an additive model gives the skin one shape, and the skin is now scaled two ways. It has no
  setting, so no nested check: it makes training's copies what an agent with those sensors computes.
- **Calibrating each sensor group on its own seconds was chosen after one comparison on these
  subjects.** Calibration used to end for every sensor at once, when 120 s of any trustworthy data had
  been seen; a wrist pulse whose quality gate held a fifth of the time then got its resting level from
  5 to 27 s of beats (7 of 27 Stress-Predict subjects, and WESAD S5). Each group now keeps its own clock
  (`agent.core.baseline.Calibration`). It was measured once, by LOSO through the core with the
  deployed candidate, after the skin change above: criterion 0.8086 to 0.8202 (WESAD 0.924 to 0.930,
  Stress-Predict 0.642 to 0.670, EEGMAT 0.884 to 0.879; better for 28 subjects, worse for 25, and, as a
  two-way nested choice over the same runs, chosen for 65 of 65). There is no setting for the old way,
  so no nested check of it will run again.
- **A sensor without a resting level no longer votes; this was found on these subjects.** A feature
  used to vote whenever its sensor was trustworthy, with a z-score of 0 (at rest) while it had no
  resting level. EEGMAT S02's and S13's ECG is noise through the rest and clean through the task,
  after the EEG's calibration had ended, so their hearts voted "at rest" through every task (the
  model with only EEG worn scored them 0.738 and 0.952, the fused one 0.610 and 0.739). A feature now
  votes only once it has a resting level, in the agent and in training alike
  (`PatientBaseline.normalise`), and a sensor first trustworthy after the others have theirs
  calibrates on its own first seconds, those after a calm decision (no subject here has one that
  lasts long enough: the figures are the same with and without it, and training, which has no
  decisions, takes them all). It is a correction rather than a setting, so it has no nested check; measured
  once by LOSO through the core with the deployed candidate (2026-12-05) and confirmed by retraining:
  criterion 0.8203 to 0.8229, WESAD 0.930 to 0.928, Stress-Predict 0.670 to 0.672, EEGMAT 0.879 to
  0.887 (S02 0.610 to 0.732, S13 0.739 to 0.929; better by more than 0.01 for 15 subjects, worse for
  11). With only EEG worn the deployed model went from 0.832 to 0.825 on EEGMAT: its training rows
  no longer hold hearts "at rest" beside a working EEG.
- **EEG voting alone is smoothed over 20 s, chosen by a nested check after a pooled look.** With only
  an EEG headset worn, the 5-s smoothing let rest's own swings in the 4-s band powers through. The
  shared 5 s was first measured pooled on EEGMAT at 3, 8 and 12 s (the model trained on EEG without
  gamma 0.778, 0.816, 0.819 against 0.799; the fused model 0.880, 0.875, 0.866 against 0.879), so EEG
  alone got its own constant (`[policy] eeg_alone_tau_s`) and every session with another sensor is
  decided as before. Its nested check (`python -m models.eeg_smoothing`, 2026-12-05; grid 5, 10 and
  20 s and rule declared before its first run; criterion: the deployed model with only EEG worn) gave
  10 s to 27 of 27 EEGMAT subjects: with only EEG worn 0.811 at 5 s, 0.832 at 10 s, 0.813 at 20 s
  (rest at *elevated* or above 6.6 %, 3.7 %, 1.2 %); EEG without gamma 0.799, 0.819, 0.815. Run again
  after a rise was given half the time constant (the next item), the same check gave 20 s to 27 of 27
  (2026-12-06: with only EEG worn 0.805 at 5 s, 0.836 at 10 s, 0.850 at 20 s, rest at *elevated* or
  above 14.7 %, 7.7 %, 3.2 %; EEG without gamma 0.785, 0.794, 0.814), so the default moved to 20 s.
  Those runs played EEGMAT's padding (the item "Until 2026-12-06" above). Without it the check gave
  10 s to 27 of 27 (with only EEG worn 0.783, 0.805, 0.793; EEG without gamma 0.777, 0.786, 0.803),
  and, once the rise share had moved to 0.25 (the next item), 20 s to 27 of 27 (0.785, 0.811, 0.824;
  rest at *elevated* or above 20.7 %, 12.6 %, 7.9 %; EEG without gamma 0.756, 0.760, 0.764). The two
  checks depend on each other and were run in turn until neither moved, so the default stayed at 20 s,
  then the grid's edge. The grid was extended by 40 s (2026-12-06, declared before its run, the rule
  unchanged), and the check gave 20 s to 27 of 27 again (with only EEG worn 0.785, 0.811, 0.824 and
  0.819 at 5, 10, 20 and 40 s; rest at *elevated* or above 20.7 %, 12.6 %, 7.9 %, 5.3 %; EEG without
  gamma 0.756, 0.760, 0.764, 0.775). So EEG alone rises over 5 s and falls over 20 s. The EEG figures
  above are at 20 s. It is one more choice made on these subjects. Run again once training's copies
  without a heart took the skin as a session without one scales it (2026-12-06), the check gave 20 s
  to 27 of 27 (with only EEG worn 0.784, 0.809, 0.821, 0.814 at 5, 10, 20 and 40 s; rest at *elevated*
  or above 18.5 %, 11.4 %, 7.8 %, 4.0 %; EEG without gamma 0.756, 0.760, 0.764, 0.775).
- **A rise counts sooner while no skin conductance votes, chosen by a nested check after a pooled
  look.** By LOSO, half of the ticks in EEGMAT's tasks' first 15 s were missed while the slow state's
  5-s smoothing caught up with a heart and an EEG whose features had already waited out their windows.
  While no skin-conductance feature votes, a rising slow state is now smoothed over a quarter of its
  time constant (1.25 s beside a heart, 5 s for EEG alone) and a falling one as before (`[policy]
  windowed_rise_share`); skin conductance's 20 s is unchanged. Measured pooled first with every
  constant halved while rising, skin conductance's too (criterion 0.8253: EEGMAT gained 0.013 and
  Stress-Predict lost 0.005), then a quarter (0.8206), then only without skin conductance (0.8271);
  see "Tried and not kept". Its nested check (`python -m models.rise`, 2026-12-06; grid 1, 0.5 and
  0.25 and rule declared before its first run) gave 0.5 to 63 of 65 subjects and 0.25 to 2 (criteria
  0.8229 at 1, 0.8271 at 0.5, 0.8262 at 0.25). EEG alone's own constant was then checked again and
  moved to 20 s (the item above), and this check, run again, gave 0.5 to 64 of 65 and 0.25 to 1
  (criteria 0.8237, 0.8275, 0.8261; nested pooled macro-F1 WESAD 0.929, Stress-Predict 0.672, EEGMAT
  0.896). Against a share of 1, EEGMAT's tasks reaching *distressed* went from 24 to 26 of 28, and
  its rest at *distressed* from 1.0 % to 1.4 % (at *elevated* or above from 4.0 % to 7.1 %); WESAD's
  and Stress-Predict's pooled figures moved by under 0.001. Those runs played EEGMAT's padding (the
  item "Until 2026-12-06" above). Without it (2026-12-06) the check gave 0.25 to 65 of 65 twice: with
  EEG alone's constant at 10 s (criteria 0.8185, 0.8258, 0.8270) and, after that constant's own
  check went back to 20 s, at 20 s (0.8163, 0.8264, 0.8274; nested pooled macro-F1 WESAD 0.931,
  Stress-Predict 0.670, EEGMAT 0.903). 0.25 was the grid's edge, so the grid was extended by 0.125
  (2026-12-06, declared before its run, the rule unchanged), after EEG alone's constant had kept 20 s on
  its own extended grid: 0.25 for 65 of 65 again (criteria 0.8163, 0.8264, 0.8274, 0.8256 at 1, 0.5,
  0.25, 0.125; at 0.125 EEGMAT 0.901, its rest at *distressed* 3.1 % and at *elevated* or above
  13.9 %). So the share is 0.25. Against 0.5, EEGMAT's
  tasks reaching *distressed* went from 25 to 28 of 28, its rest at *distressed* from 1.3 % to 2.0 %
  and at *elevated* or above from 6.6 % to 10.7 %; WESAD's pooled figure moved by 0.0005 and
  Stress-Predict's not at all. It is one more choice made on these subjects, with EEGMAT's one-minute
  task in view, and it buys EEGMAT's macro-F1 with more of its rest at *elevated*. Run again once
  training's copies without a heart took the skin as a session without one scales it (2026-12-06), the
  check gave 0.25 to 59 of 65 subjects and 0.5 to 6 (criteria 0.8188, 0.8288, 0.8291, 0.8272 at 1,
  0.5, 0.25, 0.125; nested pooled macro-F1 WESAD 0.930, Stress-Predict 0.676, EEGMAT 0.896, against
  0.904 for the deployed share: the six subjects whose absence tips the choice to 0.5 do worse with
  it). The margin is thin (0.0003 between 0.25 and 0.5 over every subject); the share stays 0.25.
- **The members' regularisation was fixed a priori until 2026-12-06, then checked by nested LOSO.**
  With 188,070 training rows the logistic's C of 0.1 and the GAM's 0.05 barely bound (the fitted
  weights alone, no score, showed it). The check (`python -m models.capacity`; grid and rule declared
  before its first run: the two penalties 1, 10 and 100 times the a-priori ones, and the boosted member's
  300 stumps against 100 and 900) gave a penalty of 10 to 62 of 65 subjects and 900 stumps to 3
  (criteria 0.8291 a priori; 0.8300 and 0.8284 at penalties 10 and 100; 0.8288 and 0.8297 with 100
  and 900 stumps; nested pooled macro-F1 WESAD 0.931, Stress-Predict 0.673, EEGMAT 0.903). So the
  logistic's C became 0.01 and the GAM's 0.005 (`models.fit.Recipe`), and the model was retrained.
  The gain (0.0009) is within what the training's draw alone moves (0.0017): the check says the
  a-priori values were about right, not that the new ones are much better. Over five draws (seeds 0
  to 4; `python -m models.variant --seed N`, with `--penalty 1` for the a-priori recipe) the penalty of
  10 scored 0.8300, 0.8288, 0.8293, 0.8292, 0.8293 and the a-priori one 0.8291, 0.8285, 0.8282,
  0.8283, 0.8287: higher with every draw, by 0.0003 to 0.0011 (0.0008 on average). The stumps were
  compared at the a-priori penalty; the other nested checks were run again on the new penalty (the next
  item). Retrained (2026-12-06): WESAD 0.930 to 0.931, Stress-Predict 0.676 to 0.675, EEGMAT 0.904 to
  0.905 (S02 0.606 to 0.663); EEGMAT's rest at *elevated* or above 11.7 % to 8.4 %, and 27 of its 28
  tasks reach *distressed* (28 before). The models trained on EEG alone, with the same penalty, lost:
  0.827 to 0.813, and without gamma 0.764 to 0.752; the deployed model with only EEG worn 0.821 to 0.818.
  Run again on 2026-12-07, once the skin's margin was committed, its grid and rule as declared, the check
  gave the a-priori penalty with 900 stumps to 64 of 65 subjects and the penalty of 10 with 300 stumps to
  one (criteria 0.8377 a priori; 0.8380 and 0.8354 at penalties 10 and 100; 0.8367 and 0.8386 with 100
  and 900 stumps; nested pooled macro-F1 WESAD 0.939, Stress-Predict 0.685, EEGMAT 0.904). Trained with
  that recipe, the model scored WESAD 0.9386 (worst S5 0.811), Stress-Predict 0.6849 and EEGMAT
  0.9065 (worst S02 0.625) against the then committed 0.9381, 0.6845 and 0.9058, and the models on EEG
  alone 0.837, without gamma 0.768 (0.813 and 0.752 committed); but `python -m models.train` took 32.8
  minutes on this machine's 2 cores, past the 30 it must keep (18 with 300 stumps): three times the
  stumps take three times as long to fit in every fold. A grid point that breaks training's budget
  should not have been declared; the committed recipe stays, and the rule's choice, by 0.0006 (within
  what the draw alone moves), is reported here rather than kept.
- **The models trained on EEG alone have their own regularisation since 2026-12-07.** They had been
  fitted with the deployed model's recipe, which `models.capacity` chose over three datasets and 65
  subjects; their rows are EEGMAT's alone (27 subjects, eight to ten features), and the item above
  shows they scored higher with the a-priori penalty. Seen that way, it was not a choice, so it was made
  one by a nested check of their own (`python -m models.eeg_recipe`; grid and rule declared before
  its first run: the committed penalty, a tenth and ten times it, and 100 and 900 stumps; each
  ablation takes the recipe the nested choice gives the most subjects, ties staying with the committed
  one). It gave the a-priori penalty (a tenth of the committed) to 26 of 27 subjects for the model on
  EEG alone and 23 of 27 without gamma, and 900 stumps to the rest (criteria, the mean per-subject
  macro-F1, in that order: 0.7939, 0.8127, 0.7850, 0.7784, 0.8103; without gamma 0.7270, 0.7405,
  0.7213, 0.7159, 0.7396; nested pooled macro-F1 0.824 and 0.760). Retrained with it (`python -m
  models.train`, 20 minutes): the model on EEG alone 0.813 to 0.827 (tasks reaching *distressed* 19 to
  24 of 28), without gamma 0.752 to 0.764 (16 to 21 of 28), still below its 0.80 target. The deployed
  model and every other figure are unchanged: these models are the ablation's measure, and the agent
  never runs them.
- **An inverted ECG is read the way it points (2026-12-07).** EEGMAT's Subject27 has an inverted
  ECG (skewness −4.3). The R-peak detector, like NeuroKit2's, took the largest maximum of each QRS
  region, so a third of its intervals jumped by more than 20 %, its heart seldom passed the quality
  gate, and with the heart alone it decided none of its scored rest. The detector now picks each
  peak on the side the complexes point (`Polarity` in `agent/core/signals/ecg_peaks.py`; docs/signals.md),
  as a chest strap worn upside down needs; upright recordings keep their peaks, and five EEGMAT
  subjects whose S wave is the deeper deflection (S04, S07, S10, S16, S33) now have their beats there.
  It is a fix for a sensor worn the wrong way, not a setting, and its rule was declared before its
  LOSO: kept unless the criterion fell by more than a draw moves it (0.0017). `models.variant` gave
  0.8380 against 0.8380, and the model was retrained: WESAD 0.938 to 0.940, Stress-Predict 0.685 to
  0.684, EEGMAT 0.906 to 0.905 (better for 2 subjects, worse for 7, all within 0.03; S02 0.672 to
  0.663), with only EEG worn 0.817 to 0.818; with the heart alone Subject27 now decides all its ticks,
  at 0.960.
- **A hold no longer throws the slow state away (2026-12-07).** When no sensor group could vote, the
  policy used to drop its smoothed estimate, and the next tick started afresh from one unsmoothed
  answer. A wrist gated by movement holds often: replayed, Stress-Predict's S02, S12, S13, S18 and S30
  held 16 to 55 times each, in runs of 6 to 12.5 s at the median, and each restart let one raw answer
  set the level. The slow state now waits through a hold, and the next answer moves it by the data
  seconds it missed, as the smoothing would have (after minutes that is a restart); a model's
  non-finite answer still drops it (`agent/core/policy.py`; `tests/agent/test_policy.py`). It has no
  setting, and its rule was declared before its LOSO, as for the ECG's polarity: kept unless the
  criterion fell by more than a draw moves it (0.0017). `models.variant` gave 0.8390 against 0.8380
  (WESAD 0.9402, better for 1 subject and worse for 1; Stress-Predict 0.6863 against 0.6840, better
  for 9 and worse for 3; EEGMAT unchanged, since it never holds). Training does not use the policy, so
  the model is the same; `python -m models.train` recomputed its figures: Stress-Predict 0.684 to
  0.686 (worst, S26, 0.385 to 0.401); WESAD 0.940, its median delay to *distressed* 2.25 to 3.0 s and
  its rest at *distressed* 1.05 to 1.21 % (at *elevated* or above 3.6 to 3.9 %); the Muse
  concentrating files at *elevated* or above 90 to 95 %. Two more things a hold did were mended
  then. The suggested intensity went on towards the scene as authored through a hold, which the app
  is told to keep as it is; it now waits (no decision or level moves). And the level after a hold
  was decided afresh from calm, past the release margin and the dwell, so a strap slipping for 2 s
  could demote a distressed patient; it now goes on from the level decided before. That changes
  levels (and, through them, when the baseline takes the decisions for calm), and its rule, declared
  before its figures, was that WESAD's level targets stay met: its median delay to *distressed* went
  from 3.0 to 0 s (S8's stressor now keeps the *distressed* that a hold used to reset, 18.75 to 0 s),
  the rest shares are unchanged, and no macro-F1 moved. Last, the 10 s of evidence that *distressed*
  needs counted a hold's seconds, so 1 s above the bar, a 9-s hold and the strap back still above
  reached *distressed* at once; a hold now pauses that count (2026-12-07, a rule declared before its
  figures: WESAD's level targets stay met and no dataset's macro-F1 falls by more than 0.0017). No
  macro-F1 moved; WESAD's rest at *distressed* went from 1.21 to 1.20 % and S11's delay to
  *distressed* from 200.5 to 202.5 s. It shows most where the heart decides alone, a wrist pulse
  that its gate holds about half the time: WESAD's median delay to *distressed* from the heart alone
  went from 19.25 to 30.75 s, and its rest at *distressed* from 2.9 to 2.7 %.
- **Every nested check of a setting, run again on the committed regularisation (2026-12-06).** The checks
  above had last run with the a-priori penalty. With the penalty of 10, their grids and rules as
  committed, each kept its default (criteria in the grid's order; the nested pooled macro-F1 beside):
  - `models.rise`: 0.25 for 65 of 65 (0.8192, 0.8289, 0.8300, 0.8279 at 1, 0.5, 0.25, 0.125;
    WESAD 0.931, Stress-Predict 0.675, EEGMAT 0.905);
  - `models.skin_heart`: 120 s for 63, 300 s for 2 (0.8233, 0.8291, 0.8300, 0.8299 at 0, 30, 120,
    300 s; 0.9305, 0.6745, 0.9052);
  - `models.skin_anchor`: 300 s for 65 of 65 (0.8111 without it, 0.8282, 0.8300, 0.8268 at 120, 300,
    600 s; 0.931, 0.675, 0.905);
  - `models.calibration`: 120 s for 64, 90 s for 1 (0.8110, 0.8276, 0.8300 at 60, 90, 120 s; 0.931,
    0.675, 0.896);
  - `models.eeg_window`: 4 s for 65 of 65 (0.8300, 0.8266, 0.8182 at 4, 6, 10 s; EEG without gamma
    0.752, 0.764, 0.778);
  - `models.eeg_smoothing`: 20 s for 27 of 27 (with only EEG worn 0.781, 0.802, 0.818, 0.810 at 5, 10,
    20, 40 s; rest at *elevated* or above 17.6 %, 11.2 %, 6.5 %, 1.9 %; EEG without gamma 0.741, 0.749,
    0.752, 0.758).

  The thinnest margins are skin_heart's 120 s over 300 s (0.0001) and the rise's 0.25 over 0.5
  (0.0011): the draw alone moves the criterion by up to 0.0017, so those two defaults are where the
  data cannot choose, not choices it makes firmly. (Run again on 2026-12-07 with the skin's margin,
  skin_heart's choice went to 300 s by the same 0.0001; see the margin's item above. The other checks, run
  again then as well, kept their defaults: `models.calibration` 120 s for 65 of 65 (0.8205, 0.8338,
  0.8380 at 60, 90, 120 s); `models.rise` 0.25 for 63, 0.5 for 2 (0.8270, 0.8375, 0.8380, 0.8361 at 1,
  0.5, 0.25, 0.125; nested pooled WESAD 0.938, Stress-Predict 0.685, EEGMAT 0.902); `models.eeg_window`
  4 s for 65 of 65 (0.8380, 0.8340, 0.8256 at 4, 6, 10 s; EEG without gamma 0.752, 0.764, 0.778);
  `models.eeg_smoothing` 20 s for 27 of 27 (with only EEG worn 0.778, 0.803, 0.817, 0.802 at 5, 10, 20,
  40 s; EEG without gamma 0.741, 0.749, 0.752, 0.758); `models.capacity` is in its own item above.)
  After the ECG's polarity and the retraining (2026-12-07), `models.rise` kept 0.25 for 65 of 65
  (0.8267, 0.8363, 0.8380, 0.8359 at 1, 0.5, 0.25, 0.125; nested pooled WESAD 0.940, Stress-Predict
  0.684, EEGMAT 0.905) and `models.eeg_smoothing` 20 s for 27 of 27 (with only EEG worn 0.779, 0.803,
  0.818, 0.805 at 5, 10, 20, 40 s; EEG without gamma, on its own recipe, 0.756, 0.760, 0.764, 0.775);
  the other checks were not run again on it. With a hold keeping the slow state (2026-12-07, later),
  `models.rise` kept 0.25 for 65 of 65 (0.8279, 0.8375, 0.8390, 0.8367 at 1, 0.5, 0.25, 0.125; nested
  pooled WESAD 0.940, Stress-Predict 0.686, EEGMAT 0.905), `models.calibration` 120 s for 65 of 65
  (0.8210, 0.8348, 0.8390 at 60, 90, 120 s) and `models.skin_anchor` 300 s for 64, 600 s for 1
  (0.8110 without it, 0.8348, 0.8390, 0.8376 at 120, 300, 600 s; nested pooled WESAD 0.935,
  Stress-Predict 0.686, EEGMAT 0.905). They ran before the hold paused the level, which moved no
  macro-F1 of the deployed candidate. With a hold no evidence for *distressed* as well (2026-12-07,
  later), `models.skin_margin` kept 6 % for 64 of 65 subjects, 3 % for 1 (0.8307, 0.8378, 0.8390,
  0.8377 at 0, 3, 6, 10 %; nested pooled WESAD 0.935, Stress-Predict 0.686, EEGMAT 0.905).
  `models.skin_heart`, run again then as well, kept 300 s for 65 of 65 (0.8340, 0.8368, 0.8386,
  0.8390 at 0, 30, 120, 300 s; nested pooled WESAD 0.940, Stress-Predict 0.686, EEGMAT 0.905): 300 s
  now leads 120 s by 0.0004, against 0.0001 when the margin came. `models.eeg_window` and
  `models.capacity` were not run again after the ECG's polarity.
- **The regional EEG shares were redefined after looking at these subjects.** They were shares of all
  five bands; they are now shares of 4–30 Hz (theta + alpha + beta), because delta at the forehead is
  mostly eye movement and gamma muscle. The change was made after measuring, on every EEGMAT subject,
  how consistently each candidate definition separated task from rest (frontal theta: task above rest
  for 23 of 27 subjects, against 17 as a share of all bands), and kept because LOSO through the core
  improved (ensemble, 600-s anchor, LOSO: EEGMAT fused 0.845 to 0.864, EEG-only 0.791 to 0.808, without
  gamma 0.767 to 0.779). Taking every relative power over 4–30 Hz instead was tried as well and was
  worse (0.859, 0.786, 0.770), so it was not kept. It is a choice made on these subjects, and the
  held-out ones will say whether it holds.
  Fixed a priori: each candidate's bins and the boosted stumps' learning rate; the policy's
  thresholds (elevated at 0.55, distressed at 0.7, 10 s of sustained evidence, 15 s dwell); the slow
  state's smoothing (20 s while skin conductance votes, 5 s while only windowed cardiac and EEG
  features do, set from the features' own window lengths; EEG voting alone, and a rise while no skin
  conductance votes, are the exceptions above);
  the anchoring's smoothing (60 s); the
  fast path's skin-response cue (2 onsets in 10 s, counted only when that many would happen under
  1 % of the time at the patient's own resting rate, Poisson). That last rule was added after the
  pooled rest-at-*elevated* figure showed the count-only cue firing through the rest of five WESAD
  subjects whose skin responds often at rest; its 1 % was not tuned, and it moves levels only, not
  the probability the macro-F1 is computed from.
"""
