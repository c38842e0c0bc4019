"""A HELLO exponent whose values cannot be a finite float32 is a protocol error, not inf samples."""

from __future__ import annotations

import numpy as np
import pytest

from agent.base.stream import Chunk
from agent.errors import ProtocolError
from drivers.bridge import messages as m
from drivers.bridge.driver import stream_specs
from drivers.bridge.framing import parse_frame


def _hello(exponent: int) -> m.Hello:
    channels = (m.ChannelInfo("eda", "uS", -3), m.ChannelInfo("x", "a.u.", exponent))
    return m.Hello("edge-1", "1.0", 1000, 4000, 4, channels)


def _decoded(hello: m.Hello) -> m.Message:
    return m.decode(parse_frame(m.encode(hello)[1:-1]))


@pytest.mark.parametrize("exponent", [m.EXPONENT_MAX + 1, 39, 127, m.EXPONENT_MIN - 1, -128])
def test_hello_with_an_exponent_beyond_float32_is_refused(exponent: int) -> None:
    with pytest.raises(ProtocolError, match=f"channel 'x' exponent {exponent} is outside"):
        _decoded(_hello(exponent))


@pytest.mark.parametrize("exponent", [m.EXPONENT_MIN, m.EXPONENT_MAX])
def test_extreme_accepted_exponents_give_finite_float32_samples(exponent: int) -> None:
    hello = _decoded(_hello(exponent))
    assert isinstance(hello, m.Hello)
    raw = np.array([np.iinfo(np.int32).min, -1, 0, 1, np.iinfo(np.int32).max], dtype=np.int32)
    spec = stream_specs(hello)[1]
    chunk = Chunk("edge-1", spec, 0, np.arange(5.0), raw * hello.channels[1].scale)
    assert np.all(np.isfinite(chunk.x))
