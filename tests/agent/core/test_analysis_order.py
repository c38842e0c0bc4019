"""The live agent's sinks: each tick's frame goes out as it is decided, and the summaries of an arrival's
ticks only after the last of its frames, in order, and even when a later tick of the arrival fails."""

from __future__ import annotations

import pytest

from agent.base.adaptation import Adaptation, Level
from agent.base.session import SessionEvent
from agent.core.engine import Core, Decision
from agent.core.features import FeatureConfig, FeatureExtractor, FeatureVector
from agent.runtime.analysis import Analysis
from tests.agent.core.test_ticker_behind import as_a_polar_sends_it


class Numbering:
    """A policy that numbers the ticks, and fails on the one it is told to."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.seq, self.fail_at = 0, fail_at

    def session(self, event: SessionEvent) -> None:
        pass

    def update(self, fv: FeatureVector) -> Adaptation:
        self.seq += 1
        if self.seq == self.fail_at:
            raise RuntimeError("a tick failed")
        return Adaptation(seq=self.seq, t=fv.t, level=Level.CALM, distress=0.0, confidence=0.0)


def wired(policy: Numbering) -> tuple[Analysis, list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []
    analysis = Analysis(
        Core(FeatureExtractor(FeatureConfig()), policy),
        on_frame=[lambda d: seen.append(("frame", d.adaptation.seq))],
        on_decision=[lambda d: seen.append(("summary", d.adaptation.seq))],
    )
    return analysis, seen


def test_an_arrival_completing_two_ticks_sends_both_frames_before_either_summary() -> None:
    analysis, seen = wired(Numbering())
    pairs = 0
    for chunk in as_a_polar_sends_it():  # a 0.56-s ECG notification often completes two ticks
        seen.clear()
        analysis.feed(chunk)
        n = len(seen) // 2
        assert seen == [("frame", s) for s in range(analysis.ticks - n + 1, analysis.ticks + 1)] + [
            ("summary", s) for s in range(analysis.ticks - n + 1, analysis.ticks + 1)]
        assert list(analysis.behind)[len(analysis.behind) - n:] == list(range(n))  # where each stood in its arrival
        pairs += n >= 2
    assert pairs > 10 and len(analysis.latencies_s) == analysis.ticks  # a latency per frame


def test_the_ticks_that_went_out_are_summarised_when_a_later_one_fails() -> None:
    analysis, seen = wired(Numbering(fail_at=6))
    with pytest.raises(RuntimeError, match="a tick failed"):
        for chunk in as_a_polar_sends_it():
            analysis.feed(chunk)
    assert [s for kind, s in seen if kind == "frame"] == [1, 2, 3, 4, 5]
    assert [s for kind, s in seen if kind == "summary"] == [1, 2, 3, 4, 5]
    assert isinstance(analysis.latest, Decision) and analysis.latest.adaptation.seq == 5
