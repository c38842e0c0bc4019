"""Fitting the distress model: one additive model over every sensor group.

Rows are what the deployed agent computes: each subject's ticks through the
core, normalised by the agent's own baseline (calibrated from the recording's
start, re-anchored as it goes; :func:`models.loso.deployed`). Every row says
which features were usable; a copy of each row with sensor groups randomly
removed (``DROP``) teaches the model that any subset of sensors can be all it
gets. A copy without a heart takes its skin conductance features as the
baseline scales them in a session without a heart sensor (``Heartless``),
where the skin's resting level never follows a calm heart. Subjects weigh
the same, and within a subject so do stress and calm.

Four kinds, each with an exact term per feature (the reasons):

- ``logistic``: a weight per feature;
- ``gam``: a shape per feature over quantile bins of its z-score, fitted as one
  L2-penalised logistic regression on the one-hot bins (the model class of an
  Explainable Boosting Machine's main effects);
- ``boosted``: gradient-boosted trees of depth one (scikit-learn's histogram
  gradient boosting), the tree candidate. Trees of one split each add up to a
  shape per feature, so the trees are rewritten exactly as a binned additive
  model (``boosted_additive``) and exported like ``gam``: the per-feature terms
  stay exact, which deeper trees would lose;
- ``ensemble``: the mean of the three's logits. The three are within a hair of
  each other on LOSO but right on different subjects, so choosing one of them
  is mostly noise (the nested selection showed it); their mean is steadier.
  A mean of additive models is additive: a weight plus a binned shape per
  feature (:func:`ensemble`), and the terms stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from agent.core.features import FEATURES, GROUPS
from models.export import Additive

F = len(FEATURES)
MEMBERSHIP = np.array([[f.group == g for g in GROUPS] for f in FEATURES], dtype=np.float64)  # (F, G)
_CARDIAC = GROUPS.index("cardiac")
_SKIN = MEMBERSHIP[:, GROUPS.index("eda")] > 0
DROP = 0.35  # chance that each present group is removed from an augmented copy
STRIDE = 4  # one tick a second: 4 Hz ticks of 60-s windows add correlation, not information
LOGISTIC_C = 0.1  # the members' regularisation as fixed a priori; Recipe.penalty divides these C
GAM_C = 0.05
PENALTY = 10.0  # the committed penalty, times the a-priori one: models.capacity's nested choice (2026-12-06)
STUMPS = 300


@dataclass(frozen=True)
class Recipe:
    """How a training fits its rows, beside the rows themselves: what ``models.variant`` and the nested
    checks vary. The default is the committed model's."""

    seed: int = 0  # the draw of the sensor groups removed from training's copies (:func:`augmented`)
    penalty: float = PENALTY  # the logistic and GAM members' L2 penalty, times the a-priori one (their C divided by it)
    stumps: int = STUMPS  # the boosted member's trees

    @property
    def logistic_c(self) -> float:
        return LOGISTIC_C / self.penalty

    @property
    def gam_c(self) -> float:
        return GAM_C / self.penalty

    @property
    def label(self) -> str:
        return f"penalty x{self.penalty:g}, {self.stumps} stumps" + (f", seed {self.seed}" if self.seed else "")


COMMITTED = Recipe()  # the recipe the committed model was trained with
# the recipes of models.train's EEG ablations, by view: models.eeg_recipe's nested choice (2026-12-07), the
# a-priori penalty for both (26 and 23 of 27 subjects)
ABLATION_RECIPES = {"eeg-only": Recipe(penalty=1.0), "eeg-no-gamma": Recipe(penalty=1.0)}


@dataclass
class Heartless:
    """A subject's z-scores (n, F) and usable features as the baseline gives them with no heart sensor worn."""

    z: np.ndarray
    usable: np.ndarray


@dataclass
class Rows:
    z: np.ndarray  # (n, F)
    usable: np.ndarray  # (n, F) bool
    y: np.ndarray  # (n,) 0/1
    w: np.ndarray  # (n,) sample weight
    heartless: Heartless | None = None  # the same rows without a heart sensor; None: as they are

    @classmethod
    def join(cls, parts: list[Rows]) -> Rows:
        heartless = None
        if any(p.heartless is not None for p in parts):
            own = [p.heartless or Heartless(p.z, p.usable) for p in parts]
            heartless = Heartless(np.concatenate([h.z for h in own]), np.concatenate([h.usable for h in own]))
        return cls(*(np.concatenate([getattr(p, k) for p in parts]) for k in ("z", "usable", "y", "w")), heartless)


def subject_rows(z: np.ndarray, usable: np.ndarray, y: np.ndarray, train: np.ndarray,
                 heartless: Heartless | None = None) -> Rows:
    """One subject's training ticks (``train``), a tick a second, weighted so each class totals 1."""
    idx = np.flatnonzero(train)[::STRIDE]
    yy = y[idx]
    w = np.zeros(len(idx))
    for c in (0, 1):
        n = int((yy == c).sum())
        if n:
            w[yy == c] = 1.0 / n
    return Rows(z[idx], usable[idx], yy, w,
                None if heartless is None else Heartless(heartless.z[idx], heartless.usable[idx]))


def augmented(rows: Rows, seed: int) -> Rows:
    """``rows`` plus a copy with sensor groups randomly removed (never all of them). A copy left without a heart
    stands for a session without a heart sensor: its skin features are ``rows.heartless``'s."""
    rng = np.random.default_rng(seed)
    present = rows.usable.astype(float) @ MEMBERSHIP > 0  # (n, G)
    drop = present & (rng.random(present.shape) < DROP)
    drop &= (present & ~drop).any(axis=1, keepdims=True)  # keep at least one group
    keep = ~(drop.astype(float) @ MEMBERSHIP.T > 0)  # (n, F)
    z, usable = rows.z, rows.usable
    if rows.heartless is not None:
        # the draw removed the heart, or it was not trustworthy at that tick: the copy stands for a session without one
        swap = (~(present & ~drop)[:, [_CARDIAC]]) & _SKIN[None, :]
        z = np.where(swap, rows.heartless.z, z)
        usable = np.where(swap, rows.heartless.usable, usable)
    usable = usable & keep
    copy = Rows(np.where(usable, z, 0.0), usable, rows.y, rows.w)
    return Rows.join([Rows(rows.z, rows.usable, rows.y, rows.w), copy])


def _presence(usable: np.ndarray) -> np.ndarray:
    return np.minimum(usable.astype(np.float64) @ MEMBERSHIP, 1.0)


def fit_logistic(rows: Rows, c: float = COMMITTED.logistic_c) -> Additive:
    x = np.hstack([np.where(rows.usable, rows.z, 0.0), _presence(rows.usable)])
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(x, rows.y, sample_weight=rows.w * len(rows.w) / rows.w.sum())
    coef = clf.coef_[0]
    return Additive("logistic", float(clf.intercept_[0]), coef[F:], MEMBERSHIP, coef=coef[:F])


def fit_gam(rows: Rows, bins: int = 8, c: float = COMMITTED.gam_c) -> Additive:
    """Quantile bins of each feature's usable z-scores; a term per bin, 0 for a feature never usable."""
    edges = np.full((F, bins - 1), np.inf)
    for j in range(F):
        v = rows.z[rows.usable[:, j], j]
        if v.size >= 50:
            cuts = np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)[1:-1]))
            edges[j, : len(cuts)] = cuts
    which = (rows.z[:, :, None] > edges[None, :, :]).sum(axis=2)  # (n, F) bin index 0..bins-1
    n = len(rows.y)
    cols = (np.arange(F) * bins + which).reshape(-1)
    # sparse: one nonzero per feature in each row of F * bins columns, so the solver's products cost
    # an eighth of the dense ones (a training fits this some 260 times); the fit is the same to 1e-11
    onehot = sparse.csr_matrix((rows.usable.reshape(-1).astype(np.float64), (np.repeat(np.arange(n), F), cols)),
                               shape=(n, F * bins))
    x = sparse.hstack([onehot, sparse.csr_matrix(_presence(rows.usable))], format="csr")
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(x, rows.y, sample_weight=rows.w * len(rows.w) / rows.w.sum())
    coef = clf.coef_[0]
    table = coef[: F * bins].reshape(F, bins)
    return Additive("gam", float(clf.intercept_[0]), coef[F * bins:], MEMBERSHIP, edges=edges, table=table)


def fit_boosted(rows: Rows, stumps: int = STUMPS) -> Additive:
    """Depth-one boosted trees on the z-scores, NaN where a feature is not usable (the trees learn where
    a missing feature goes, which :func:`boosted_additive` folds into the intercept)."""
    # a feature never usable here (another sensor, or a view without it) gets no trees: scikit-learn
    # cannot bin a column without two distinct values
    seen = np.array([np.unique(rows.z[rows.usable[:, j], j]).size >= 2 for j in range(F)])
    x = np.where(rows.usable, rows.z, np.nan)[:, seen]
    clf = HistGradientBoostingClassifier(
        max_depth=1, learning_rate=0.1, max_iter=stumps, max_bins=32, min_samples_leaf=200,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    )
    clf.fit(x, rows.y, sample_weight=rows.w * len(rows.w) / rows.w.sum())
    return boosted_additive(clf, np.flatnonzero(seen))


def boosted_additive(clf: HistGradientBoostingClassifier, columns: np.ndarray | None = None) -> Additive:
    """The stumps of ``clf`` as one table per feature over the union of its thresholds.

    A stump on feature j sends z <= threshold left; bin b of the table holds the z with exactly b
    thresholds below them, so it sums each stump's left or right value. A feature that is not usable
    (NaN) takes each stump's missing side: that constant m_j moves to the intercept and the table
    becomes ``shape_j - m_j``, so an unusable feature contributes exactly 0, as the graph computes.
    ``columns``: which feature each fitted column is (all of them, in order, by default).
    """
    stumps: list[tuple[int, float, float, float, bool]] = []  # feature, threshold, left, right, missing left
    feature = np.arange(F) if columns is None else columns  # the fitted column -> the feature it is
    for (tree,) in clf._predictors:  # one tree per iteration for a binary target
        nodes = tree.nodes
        root = nodes[0]
        if root["is_leaf"]:
            continue
        left, right = nodes[root["left"]]["value"], nodes[root["right"]]["value"]
        stumps.append((int(feature[root["feature_idx"]]), float(root["num_threshold"]), float(left), float(right),
                       bool(root["missing_go_to_left"])))
    cuts = [sorted({s[1] for s in stumps if s[0] == j}) for j in range(F)]
    m_max = max(1, max(len(c) for c in cuts))
    edges = np.full((F, m_max), np.inf)
    table = np.zeros((F, m_max + 1))
    intercept = float(np.ravel(clf._baseline_prediction)[0])
    for j, c in enumerate(cuts):
        edges[j, : len(c)] = c
    for j, thr, left, right, missing_left in stumps:
        k = cuts[j].index(thr)  # bins 0..k hold z <= thr
        table[j, : k + 1] += left
        table[j, k + 1:] += right
        missing = left if missing_left else right
        table[j] -= missing
        intercept += missing
    return Additive("boosted", intercept, np.zeros(len(GROUPS)), MEMBERSHIP, edges=edges, table=table)


MEMBERS = ("logistic", "gam", "boosted")  # what an ensemble averages


def fit_member(kind: str, rows: Rows, recipe: Recipe) -> Additive:
    """One member of :data:`MEMBERS` fitted on ``rows`` with ``recipe``'s regularisation."""
    if kind == "logistic":
        return fit_logistic(rows, recipe.logistic_c)
    if kind == "gam":
        return fit_gam(rows, c=recipe.gam_c)
    if kind == "boosted":
        return fit_boosted(rows, recipe.stumps)
    raise ValueError(f"not a member: {kind}")


def ensemble(members: list[Additive]) -> Additive:
    """The mean of ``members``' logits as one additive model: each feature's weight and its binned shape.

    The shapes are merged over the union of the members' bin edges: bin b of the merged table holds the
    z with exactly b merged edges below them, and so, for each member, exactly as many of its own edges
    as lie at or below the merged edge b - 1.
    """
    n = len(members)
    coef = sum((m.coef for m in members if m.coef is not None), np.zeros(F)) / n
    binned = [m for m in members if m.edges is not None and m.table is not None]
    cuts = [sorted({float(e) for m in binned for e in m.edges[j] if np.isfinite(e)}) for j in range(F)]
    width = max(1, max(len(c) for c in cuts))
    edges = np.full((F, width), np.inf)
    table = np.zeros((F, width + 1))
    for j, c in enumerate(cuts):
        edges[j, : len(c)] = c
        below = np.array([-np.inf, *c])  # a z just above each merged bin's lower edge finds the same bins
        for m in binned:
            assert m.edges is not None and m.table is not None
            own = (below[:, None] >= m.edges[j][None, :]).sum(axis=1)  # own edges at or below the lower edge
            table[j, : len(below)] += m.table[j, own]
    table /= n
    return Additive(
        "ensemble", float(np.mean([m.intercept for m in members])), np.mean([m.presence for m in members], axis=0),
        MEMBERSHIP, coef=coef, edges=edges, table=table,
    )
