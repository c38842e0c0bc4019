"""The live agent's latency path: each tick's frame goes before the next tick is worked on
(``Ticker.feed_lazily``), and between readings the samples held back behind a tick are delivered and
the next refresh is computed ahead (``Ticker.deliver_ahead``). Neither may change a feature vector."""

from __future__ import annotations

from agent.base.stream import Chunk
from agent.core.features import FeatureConfig, FeatureExtractor, FeatureVector
from agent.core.ticker import Ticker
from tests.agent.core.test_ticker_behind import SECONDS, as_a_polar_sends_it, as_a_strap_sends_them


def fed(chunks: list[Chunk], *, ahead: bool) -> list[FeatureVector]:
    ticker = Ticker(FeatureExtractor(FeatureConfig()))
    worked_ahead = set()
    out = []
    for c in chunks:
        if ahead:
            for tick in ticker.feed_lazily(c):
                out.append(tick.features)
                ticker.deliver_ahead()  # the worst case: more work between two ticks of one reading than the agent does
            ticker.deliver_ahead()
            worked_ahead |= set(ticker.extractor._prepared)  # the streams computed ahead of a refresh
        else:
            out += [tick.features for tick in ticker.feed(c)]
    assert not ahead or len(worked_ahead) >= 2  # both sensors' window features were computed ahead at least once
    return out


def exactly(a: FeatureVector, b: FeatureVector) -> bool:
    return (a.t == b.t and a.values.tobytes() == b.values.tobytes() and a.available.tobytes() == b.available.tobytes()
            and a.quality == b.quality and a.sources == b.sources)


def test_working_ahead_between_readings_changes_no_feature_vector() -> None:
    for chunks in (as_a_polar_sends_it(), as_a_strap_sends_them()):
        plain, ahead = fed(chunks, ahead=False), fed(chunks, ahead=True)
        assert len(plain) == len(ahead) > 4 * (SECONDS - 5)
        assert all(exactly(a, b) for a, b in zip(plain, ahead, strict=True))
        assert any(v.group_ok("cardiac") and v.group_ok("eda") for v in ahead)  # real features were compared


def test_a_lazy_feed_decides_its_ticks_one_at_a_time() -> None:
    ticker = Ticker(FeatureExtractor(FeatureConfig()))
    counts = []
    for c in as_a_polar_sends_it():  # a 0.56-s ECG notification often completes two ticks
        before = ticker.ticks
        ticks = ticker.feed_lazily(c)
        taken = ticker.ticks  # the input is taken, but no tick is decided until the iterator is read
        counts.append(sum(1 for _ in ticks))
        assert taken == before and ticker.ticks == before + counts[-1]
    assert max(counts) >= 2
