"""Device events reach the streams they concern: a gap in a stream no feature uses (a band's skin
temperature) breaks none of its device's other streams, while a device's word on such a stream (a
strap's heart-rate stream losing skin contact) is about the whole device."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from agent.base.events import Gap, Quality
from agent.base.stream import Chunk, Modality, StreamSpec
from agent.core.features import FeatureExtractor, FeatureVector
from agent.core.ticker import Ticker

sys.path.insert(0, str(Path(__file__).parents[1] / "signals"))
from signal_recordings import biosignal

ECG = StreamSpec("ecg", Modality.ECG, ("ecg",), "mV", 100.0)
TEMP = StreamSpec("temp", Modality.TEMP, ("temp",), "°C", 4.0)
SECONDS = 150
AT = 60.0  # where the event falls


def decided(event: Gap | Quality | None) -> list[FeatureVector]:
    """A strap's ECG and skin temperature, a second at a time, with ``event`` after the second ending at AT."""
    x = biosignal("bio_eventrelated_100hz.csv")["ECG"].to_numpy(dtype=np.float64)[: SECONDS * 100]
    ecg = Chunk("strap", ECG, 0, np.arange(x.size) / 100.0, x)
    temp = Chunk("strap", TEMP, 0, np.arange(SECONDS * 4) / 4.0, np.full(SECONDS * 4, 33.5))
    ticker = Ticker(FeatureExtractor(), watermarks=False)
    for second in range(SECONDS):
        for c in (ecg, temp):
            a, b = np.searchsorted(c.t, [second, second + 1], side="left")
            ticker.feed(Chunk(c.device_id, c.spec, c.seq + int(a), c.t[a:b], c.x[a:b]))
        if event is not None and second + 1 == AT:
            ticker.feed(event)
    return [t.features for t in ticker.finish()]


def test_a_gap_in_a_stream_no_feature_uses_breaks_no_other_stream() -> None:
    plain = decided(None)
    gapped = decided(Gap("strap", "temp", AT - 2.0, AT - 1.0, 8, "sequence"))
    after = [v for v in plain if v.t > AT + 30 and v.group_ok("cardiac")]
    assert len(after) > 100  # the heart's features were there to be broken
    assert [v.t for v in gapped] == [v.t for v in plain]
    for g, p in zip(gapped, plain, strict=True):
        assert (g.values == p.values).all() and (g.available == p.available).all() and g.quality == p.quality, g.t


def test_a_devices_word_on_a_stream_no_feature_uses_is_about_all_of_it() -> None:
    lost = decided(Quality("strap", "hr", AT, False, "no skin contact"))
    assert all(v.group_ok("cardiac") for v in lost if AT - 20 < v.t < AT)
    assert not any(v.group_ok("cardiac") for v in lost if v.t >= AT)
