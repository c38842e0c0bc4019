"""The policy's model, swappable between ticks: the active model, a shadow beside it, or one on probation.

The updater never touches the running model directly: it *requests*
(shadow this candidate, promote it, commit, roll back) and the agent calls
:meth:`ModelSlot.apply_pending` between ticks, so a tick is decided by one
model from start to end. Everything here is synchronous and cheap.

- **Shadow**: the active model decides; the candidate is run on the same
  baseline z-scores and the two are compared (agreement of the level side,
  distress difference, ticks where the candidate stays silent, NaN, errors).
- **Probation**: the candidate decides; the previous model runs beside it
  as the fallback. An error or a non-finite output, or too long a silence
  while the fallback would vote, rolls back on the spot: that very tick is
  decided by the fallback, and the updater is told to make it permanent.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from agent.core.features import FeatureVector
from agent.errors import AgentError

if TYPE_CHECKING:
    import asyncio

    from agent.core.model.runtime import Inference


class Model(Protocol):
    version: str

    def infer(self, z: np.ndarray, fv: FeatureVector) -> Inference | None: ...


@dataclass(slots=True)
class Comparison:
    """Shadow (or probation) figures: candidate against the model that would otherwise decide."""

    ticks: int = 0  # inferences seen
    compared: int = 0  # both voted
    agree: int = 0  # same side of the elevated threshold
    distress_diff_sum: float = 0.0
    silent: int = 0  # the candidate held while the other voted
    silent_streak: int = 0
    nan: int = 0
    errors: int = 0
    last_error: str = ""
    extra_s_sum: float = 0.0  # time spent in the candidate, for the overhead figure
    extra_s_max: float = 0.0

    @property
    def agreement(self) -> float | None:
        return self.agree / self.compared if self.compared else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["agreement"] = None if self.agreement is None else round(self.agreement, 3)
        d["mean_distress_diff"] = round(self.distress_diff_sum / self.compared, 4) if self.compared else None
        d["mean_extra_ms"] = round(1000 * self.extra_s_sum / self.ticks, 4) if self.ticks else None
        for k in ("distress_diff_sum", "extra_s_sum"):
            d.pop(k)
        d["extra_s_max"] = round(self.extra_s_max, 6)
        return d


class SlotRequestError(AgentError):
    """Too many unapplied requests: the agent is not ticking (its pipeline stalled)."""


@dataclass(slots=True)
class Request:
    kind: str  # shadow | stop-shadow | promote | commit | rollback
    model: Model | None = None
    version: int = 0
    reason: str = ""
    done: asyncio.Future[None] | None = field(default=None, repr=False)


def _finite(inference: Inference | None) -> bool:
    return inference is None or (math.isfinite(inference.distress) and math.isfinite(inference.confidence))


class ModelSlot:
    MAX_PENDING = 8

    def __init__(self, model: Model, version: int, *, elevated_at: float = 0.55, max_silent: int = 40) -> None:
        self.active = model
        self.active_version = version  # the manifest version (0: the packaged model)
        self.elevated_at = elevated_at
        self.max_silent = max_silent
        self.candidate: Model | None = None
        self.candidate_version = 0
        self.mode = "steady"  # steady | shadow | probation
        self.fallback: Model | None = None
        self.fallback_version = 0
        self.comparison = Comparison()
        self.failure: str | None = None  # set when probation rolled back by itself; the updater clears it
        self._pending: deque[Request] = deque()

    # -- what the policy sees --------------------------------------------------

    @property
    def version(self) -> str:
        return self.active.version

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(getattr(self.active, "groups", ()))

    @property
    def heads(self) -> Any:
        return getattr(self.active, "heads", ())

    def infer(self, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        if self.mode == "probation":
            return self._probation(z, fv)
        result = self.active.infer(z, fv)
        if self.mode == "shadow" and self.candidate is not None:
            self._compare(self.candidate, result, z, fv)
        return result

    # -- requests, applied between ticks -------------------------------------

    def request(self, req: Request) -> None:
        if len(self._pending) >= self.MAX_PENDING:
            raise SlotRequestError(f"{len(self._pending)} model requests not applied: is the agent ticking?")
        self._pending.append(req)

    def apply_pending(self) -> None:
        """Called by the agent at a tick boundary (before each input reaches the analysis)."""
        while self._pending:
            req = self._pending.popleft()
            self._apply(req)
            if req.done is not None and not req.done.done():
                req.done.set_result(None)

    def _apply(self, req: Request) -> None:
        if req.kind == "shadow":
            self.candidate, self.candidate_version, self.mode = req.model, req.version, "shadow"
            self.comparison = Comparison()
        elif req.kind == "stop-shadow":
            self.candidate, self.candidate_version, self.mode = None, 0, "steady"
        elif req.kind == "promote":
            assert req.model is not None
            self.fallback, self.fallback_version = self.active, self.active_version
            self.active, self.active_version = req.model, req.version
            self.candidate, self.candidate_version, self.mode = None, 0, "probation"
            self.comparison = Comparison()
            self.failure = None
        elif req.kind == "commit":
            if self.mode == "probation":
                self.fallback, self.fallback_version, self.mode = None, 0, "steady"
        elif req.kind == "rollback":
            if self.mode == "probation":
                self._revert(req.reason)
            self.failure = None

    # -- inside a tick -------------------------------------------------------

    def _compare(self, candidate: Model, reference: Inference | None, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        c = self.comparison
        c.ticks += 1
        started = time.perf_counter()
        try:
            result = candidate.infer(z, fv)
        except Exception as exc:  # a broken candidate must never break the tick
            c.errors += 1
            c.last_error = f"{type(exc).__name__}: {exc}"[:200]
            return None
        finally:
            spent = time.perf_counter() - started
            c.extra_s_sum += spent
            c.extra_s_max = max(c.extra_s_max, spent)
        if not _finite(result):
            c.nan += 1
            return None
        if result is None and reference is not None:
            c.silent += 1
            c.silent_streak += 1
        else:
            c.silent_streak = 0
        if result is not None and reference is not None:
            c.compared += 1
            c.agree += (result.distress >= self.elevated_at) == (reference.distress >= self.elevated_at)
            c.distress_diff_sum += abs(result.distress - reference.distress)
        return result

    def _probation(self, z: np.ndarray, fv: FeatureVector) -> Inference | None:
        assert self.fallback is not None
        reference = self.fallback.infer(z, fv)
        c = self.comparison
        errors_before, nan_before = c.errors, c.nan
        result = self._compare(self.active, reference, z, fv)
        if c.errors > errors_before:
            self._revert(f"error in the new model: {c.last_error}")
        elif c.nan > nan_before:
            self._revert("the new model produced a non-finite distress")
        elif c.silent_streak > self.max_silent:
            self._revert(f"the new model cast no vote for {c.silent_streak} ticks while the previous one did")
        else:
            return result
        return reference

    def _revert(self, why: str) -> None:
        assert self.fallback is not None
        failed = self.active_version
        self.active, self.active_version = self.fallback, self.fallback_version
        self.fallback, self.fallback_version, self.mode = None, 0, "steady"
        self.failure = f"version {failed}: {why}"

    def resume_probation(self, fallback: Model, fallback_version: int) -> None:
        """After a restart during probation: the new model decides, the previous one stands by."""
        self.fallback, self.fallback_version, self.mode = fallback, fallback_version, "probation"
        self.comparison = Comparison()

    def status(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "active_version": self.active_version,
            "label": self.active.version,
            "candidate_version": self.candidate_version or None,
            "fallback_version": self.fallback_version if self.mode == "probation" else None,
            "comparison": self.comparison.as_dict() if self.mode != "steady" else None,
        }


class SlotSwitch:
    """A pipeline stage placed before the analysis: applies the updater's requests between ticks."""

    def __init__(self, slot: ModelSlot) -> None:
        self.slot = slot

    def feed(self, reading: object) -> None:
        if self.slot._pending:
            self.slot.apply_pending()
