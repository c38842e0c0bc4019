"""The patient's resting baseline: calibration, the stored profile, and normalisation.

Every feature the model sees is a deviation from this patient's own rest: ``z = (x - mean) / scale``.
A calibration phase at session start (a couple of minutes of rest) measures mean and spread per
feature from the ticks whose modality is trustworthy; the result is blended into a profile stored on
disk, so the next session starts from it instead of from nothing.

``scale`` is floored (per feature, and at a share of the mean) because a few minutes of a 60-s window
feature vary very little: an unfloored spread would turn a 2-bpm change into ten standard deviations.
Training uses this same module, so the floors are part of the model contract (:data:`NORMALISATION`,
checked against the model's metadata).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import structlog

from agent.core.anchor import Anchor
from agent.core.baseline_options import BaselineOptions
from agent.core.feature_specs import FEATURES, GROUPS
from agent.core.features import FEATURE_NAMES, GROUP_OF, FeatureVector, group_names, groups_with
from agent.errors import ConfigError

log = structlog.get_logger("edge_agent.baseline")

# Bump when the floors, the formula or the anchoring's mechanism change: models record it, and a stored profile
# of another one stops the agent until the operator deletes it. Not for the time constants: [baseline] may set them.
NORMALISATION = "baseline-z/3"
Z_LIMIT = 8.0  # one wild feature must not outvote the rest
RELATIVE_FLOOR = 0.10  # scale >= 10 % of the baseline mean
# Smallest spread per feature, in its unit (FeatureSpec.floor): a change below it is not worth a decision.
FLOORS = np.array([f.floor for f in FEATURES], dtype=np.float64)
_NOTHING = np.zeros(len(FEATURES), dtype=bool)


@dataclass(slots=True)
class Profile:
    """Mean and spread per feature (NaN where calibration never saw it)."""

    mean: np.ndarray
    sd: np.ndarray
    sessions: int = 1
    updated: float = field(default_factory=time.time)
    # derived once: normalising runs every tick
    known: np.ndarray = field(init=False, repr=False)
    _center: np.ndarray = field(init=False, repr=False)
    _scale: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.known = np.isfinite(self.mean)
        # np.where, not np.nan_to_num: a profile is remade whenever the anchor moves, and nan_to_num costs
        # 50 µs a call; a feature without a finite mean is masked anyway (known), whatever its centre
        self._center = np.where(self.known, self.mean, 0.0)
        sd = np.where(np.isnan(self.sd), 0.0, self.sd)
        self._scale = np.maximum.reduce([sd, RELATIVE_FLOOR * np.abs(self._center), FLOORS])

    @classmethod
    def empty(cls) -> Profile:
        n = len(FEATURE_NAMES)
        return cls(np.full(n, np.nan), np.full(n, np.nan), sessions=0)

    def scale(self) -> np.ndarray:
        return self._scale

    def normalise(self, values: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, mask): z is 0 wherever the feature is unusable or has no baseline."""
        mask = usable & self.known
        diff = (values - self._center) / self._scale
        # np.clip's result bit for bit (NaN stays NaN) without its wrapper: this runs every tick
        z = np.where(mask, np.minimum(np.maximum(diff, -Z_LIMIT), Z_LIMIT), 0.0).astype(np.float32)
        return z, mask

    def with_mean(self, mean: np.ndarray) -> Profile:
        return Profile(mean, self.sd, self.sessions, self.updated)

    def blended(self, fresh: Profile, weight: float) -> Profile:
        """This profile moved ``weight`` of the way to ``fresh`` (features only one knows are taken as is)."""
        both = self.known & fresh.known
        mean = np.where(fresh.known, fresh.mean, self.mean)
        sd = np.where(fresh.known, fresh.sd, self.sd)
        mean[both] = (1 - weight) * self.mean[both] + weight * fresh.mean[both]
        sd[both] = (1 - weight) * self.sd[both] + weight * fresh.sd[both]
        return Profile(mean, sd, self.sessions + fresh.sessions)

    def as_json(self) -> dict[str, object]:
        return {
            "normalisation": NORMALISATION,
            "sessions": self.sessions,
            "updated": self.updated,
            "features": {
                n: {"mean": float(m), "sd": float(s)}
                for n, m, s in zip(FEATURE_NAMES, self.mean, self.sd, strict=True)
                if math.isfinite(m)
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, object], source: Path) -> Profile:
        features = data.get("features")
        if data.get("normalisation") != NORMALISATION or not isinstance(features, dict):
            raise ConfigError(
                f"{source}: not a baseline profile of this agent (normalisation {data.get('normalisation')!r}, "
                f"expected {NORMALISATION!r}); delete it to calibrate afresh",
                source=str(source), field="profile",
            )
        mean, sd = np.full(len(FEATURE_NAMES), np.nan), np.full(len(FEATURE_NAMES), np.nan)
        for i, name in enumerate(FEATURE_NAMES):
            entry = features.get(name)
            if isinstance(entry, dict):
                mean[i], sd[i] = float(entry["mean"]), float(entry["sd"])
        sessions = int(data.get("sessions", 1))  # type: ignore[call-overload]
        return cls(mean, sd, sessions, float(data.get("updated", 0.0)))  # type: ignore[arg-type]


class Calibration:
    """Collects resting ticks until each sensor group has had ``calibration_s`` of trustworthy data.

    Each group keeps its own clock: a wrist pulse whose quality gate holds a
    fifth of the time would otherwise get its resting level from a few seconds
    of beats, taken whenever the skin sensor's two minutes were up.
    """

    def __init__(self, options: BaselineOptions) -> None:
        self.options = options
        n = len(FEATURE_NAMES)
        self._n = np.zeros(n)
        self._sum = np.zeros(n)
        self._sq = np.zeros(n)
        self.seconds = np.zeros(len(GROUPS))  # trustworthy data per group
        self._held = np.zeros(len(GROUPS), dtype=bool)  # seen, its seconds not yet counted (PatientBaseline)
        self._last_t: float | None = None

    def _shares(self) -> np.ndarray:
        return np.minimum(1.0, self.seconds / self.options.calibration_s)

    def _waiting(self) -> np.ndarray:
        """Per group: seen, and not yet had ``calibration_s`` of trustworthy data."""
        return ((self.seconds > 0) | self._held) & (self._shares() < 1.0)

    def hold(self, groups: np.ndarray) -> None:
        """These groups were seen, though their seconds do not count yet: they are waited for."""
        self._held |= groups

    @property
    def progress(self) -> float:
        """Before the first decisions, the group nearest to its baseline; then the last group still calibrating."""
        shares, waiting = self._shares(), self._waiting()
        if not (shares >= 1.0).any():
            return float(shares.max())
        return float(shares[waiting].min()) if waiting.any() else 1.0

    @property
    def waiting(self) -> tuple[str, ...]:
        """The groups seen so far that have not had ``calibration_s`` of trustworthy data yet."""
        return group_names(self._waiting())

    @property
    def done(self) -> bool:
        """Every group seen so far has its baseline (a sensor that joins later reopens the calibration)."""
        return bool(((self.seconds > 0) | self._held).any() and not self._waiting().any())

    def ready(self) -> np.ndarray:
        """Per feature: its group has had ``calibration_s`` of trustworthy data."""
        return (self._shares() >= 1.0)[GROUP_OF]

    def add(self, fv: FeatureVector) -> None:
        self.observe(fv.t, fv.values, fv.usable)

    def observe(self, t: float, values: np.ndarray, usable: np.ndarray) -> None:
        """One tick: ``values`` where ``usable`` (training replays its feature tables through this too)."""
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        if not usable.any():
            return  # no trustworthy data: the calibration clock does not run
        self.seconds += dt * groups_with(usable)
        x = values.astype(np.float64)
        self._n += usable
        self._sum += np.where(usable, x, 0.0)
        self._sq += np.where(usable, x * x, 0.0)

    def profile(self) -> Profile:
        """The resting level of every feature whose group is ready."""
        enough = (self._n >= self.options.min_samples) & self.ready()
        n = np.maximum(self._n, 1)
        mean = self._sum / n
        var = np.maximum(self._sq / n - mean * mean, 0.0) * n / np.maximum(n - 1, 1)
        return Profile(np.where(enough, mean, np.nan), np.where(enough, np.sqrt(var), np.nan))


class ProfileStore:
    """The profile on disk: JSON, written atomically, readable only by the agent (it is health data)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Profile | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:  # not JSON (a torn write, a bad sector): calibrate afresh, keep the evidence
            return self._set_aside(f"not JSON ({exc})")
        except OSError as exc:
            raise ConfigError(
                f"{self.path}: the stored baseline cannot be read ({exc}); delete it to calibrate afresh",
                source=str(self.path), field="profile",
            ) from exc
        if not isinstance(data, dict):
            return self._set_aside(f"a JSON {type(data).__name__}, not an object")
        try:
            return Profile.from_json(data, self.path)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):  # a sound profile of another normalisation: the operator decides
                raise
            return self._set_aside(f"malformed ({type(exc).__name__}: {exc})")

    def _set_aside(self, problem: str) -> None:
        """Move a corrupt profile out of the way (``<name>.corrupt-<UTC time>``) so a restart cannot loop on it."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
        self.path.rename(aside)
        log.error("profile_set_aside", path=str(self.path), moved_to=str(aside), problem=problem)
        return None

    def save(self, profile: Profile) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(profile.as_json(), f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


@dataclass(frozen=True, slots=True)
class CalibrationNews:
    """What a session's resting level rests on, as it changes: a stored profile at the session's start, or a
    fresh calibration that has just finished (``duration_s`` after the calibration began)."""

    t: float
    source: Literal["fresh", "stored"]
    duration_s: float = 0.0


class PatientBaseline:
    """The profile in force, and the calibration that refreshes it at each session's start.

    With a stored profile the agent adapts from the first tick while a fresh calibration runs; the fresh
    one is then blended into the stored profile (``blend``), so one bad session cannot overwrite months
    of baseline. Without one, the first calibration is the profile.

    The calibration stays open for the rest of the session: a sensor first trustworthy after the others
    have their resting levels (a GSR band paired late, skin electrodes that took minutes to settle)
    calibrates on its own first ``calibration_s`` of trustworthy data, as it would have at the start, and
    the anchor then moves that level towards calmer stretches. Until then it does not vote. Such a late
    sensor (every sensor, while a stored profile decides) counts only the seconds the caller says are
    settled: a band clipped on during distress must not take that for rest.
    """

    def __init__(self, options: BaselineOptions, store: ProfileStore | None) -> None:
        self.options = options
        self.store = store
        self.unsaved: Profile | None = None  # a new profile not yet on disk
        stored = store.load() if store is not None and options.use_stored else None
        self.calibrated: Profile | None = stored  # the calibrated (and stored) profile
        self.profile: Profile | None = stored  # what normalises: the calibrated one, re-anchored
        self._anchor: Anchor | None = Anchor.of(options, stored.mean) if stored is not None else None
        self._calibration = Calibration(options)
        self._calibrating = True  # a group seen this session is still taking its resting level (or none seen yet)
        self._released = np.zeros(len(FEATURE_NAMES), dtype=bool)  # features whose group this calibration has done
        self._late = np.zeros(len(GROUPS), dtype=bool)  # groups first trustworthy while a profile decided
        self._began: float | None = None  # the current calibration's first tick
        self.news: CalibrationNews | None = None  # the latest; a new object each time (the summaries watch it)
        self.log: list[str] = [f"using the stored baseline from {stored.sessions} session(s)"] if stored else []

    @property
    def calibrating(self) -> bool:
        return self._calibrating

    @property
    def progress(self) -> float:
        return self._calibration.progress if self._calibrating else 1.0

    @property
    def waiting(self) -> tuple[str, ...]:
        """The sensor groups this session's calibration still waits for (``Calibration.waiting``)."""
        return self._calibration.waiting if self._calibrating else ()

    def begin_session(self) -> None:
        """A new session starts: calibrate on its first resting minutes."""
        self._calibration = Calibration(self.options)
        self._calibrating = True
        self._released = np.zeros(len(FEATURE_NAMES), dtype=bool)
        self._late = np.zeros(len(GROUPS), dtype=bool)
        self._began = None

    def observe(self, fv: FeatureVector, settled: bool = True) -> None:
        if self._anchor is not None and self.calibrated is not None and self._anchor.observe(fv.t, fv.values, fv.usable):
            self.profile = self.calibrated.with_mean(self._anchor.center)
        cal = self._calibration
        if self._began is None:  # the first tick of a calibration: until it finishes, a profile from before serves
            self._began = fv.t
            if self.calibrated is not None:
                self.news = CalibrationNews(fv.t, "stored")
        usable, unreleased = fv.usable, fv.usable & ~self._released
        if self.profile is not None and unreleased.any():
            trusted = groups_with(unreleased)  # the groups here still without a resting level
            self._late |= trusted & (cal.seconds == 0)
            if not settled and (held := trusted & self._late).any():  # seen, but its seconds wait for calm
                cal.hold(held)
                self._calibrating = True
                usable = fv.usable & ~held[GROUP_OF]
                unreleased = usable & ~self._released
        if not unreleased.any():
            cal.observe(fv.t, fv.values, _NOTHING)  # nothing here to calibrate: only its clock moves
            return
        cal.observe(fv.t, fv.values, usable)
        was, self._calibrating = self._calibrating, not cal.done
        if was and not self._calibrating:
            self.news = CalibrationNews(fv.t, "fresh", fv.t - self._began)
        ready = cal.ready()
        newly = ready & ~self._released
        if not newly.any():
            return
        # the groups that just got their baseline join the profile; those already in keep theirs
        self._released = ready
        fresh = cal.profile()
        fresh = Profile(np.where(newly, fresh.mean, np.nan), np.where(newly, fresh.sd, np.nan))
        self.calibrated = fresh if self.calibrated is None else self.calibrated.blended(fresh, self.options.blend)
        if self._anchor is None:
            self._anchor = Anchor.of(self.options, self.calibrated.mean)
        else:
            self._anchor.center = np.where(newly, self.calibrated.mean, self._anchor.center)
        self.profile = self.calibrated.with_mean(self._anchor.center)
        if self.store is not None:
            self.unsaved = self.calibrated  # written off the tick path (agent.app), never inside a tick

    def normalise(self, fv: FeatureVector, settled: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """Take the tick in (``settled``: the decisions so far read calm; see the class), then its z-scores
        against the resting level and the features that may vote; None while there is no resting level.

        Only a usable feature with a resting level votes: a sensor that joined after the others is still
        calibrating, and a z of 0 would claim the patient is at rest. The policy and the training code
        (which has no decisions) both call this, so the model learns the z-scores and votes it will see.
        """
        self.observe(fv, settled)
        if self.profile is None:
            return None
        return self.profile.normalise(fv.values, fv.usable)

    def save_pending(self) -> bool:
        """Write the newest unsaved profile (blocking: run it in a thread). False if nothing was pending.

        Raises OSError (a full disk, a read-only state directory); the profile stays pending for a retry.
        """
        profile = self.unsaved
        if profile is None or self.store is None:
            return False
        self.store.save(profile)
        if self.unsaved is profile:
            self.unsaved = None
        return True
