"""Randomness that is a pure function of (seed, stream name, index).

Every random quantity of the simulation is drawn from a
``numpy.random.Generator`` seeded with ``[seed, crc32(stream name), block]``,
so a sample depends only on the seed and its place in time: not on when a
device connected, how often it reconnected, or how its output was chunked.
Filtered noise is rendered block by block, each block filtered after a
warm-up on the previous block's white noise, which makes the seams exact to
float precision as long as the filters forget faster than one block.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

KNOTS_PER_BLOCK = 256


def block_rng(seed: int, stream: str, block: int) -> np.random.Generator:
    """The generator of one block of one named random stream."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode()), max(0, block)])


@functools.lru_cache(maxsize=512)  # memo of a pure function: bounded, and only saves time
def _knot_block(seed: int, stream: str, block: int) -> np.ndarray:
    values = block_rng(seed, stream, block).standard_normal(KNOTS_PER_BLOCK)
    values.setflags(write=False)
    return values


def knot_values(seed: int, stream: str, knots: npt.ArrayLike) -> np.ndarray:
    """Standard normal values at non-negative integer knot indices."""
    idx = np.asarray(knots, dtype=np.int64)
    if idx.size == 0:
        return np.empty(idx.shape)
    blocks = idx // KNOTS_PER_BLOCK
    first, last = int(blocks.min()), int(blocks.max())
    if first == last:
        return _knot_block(seed, stream, first)[idx - first * KNOTS_PER_BLOCK]
    out = np.empty(idx.shape, dtype=np.float64)
    for b in np.unique(blocks).tolist():
        sel = blocks == b
        out[sel] = _knot_block(seed, stream, b)[idx[sel] - b * KNOTS_PER_BLOCK]
    return out


def smooth_noise(seed: int, stream: str, s: npt.ArrayLike, knot_s: float) -> np.ndarray:
    """A smooth random function of time: normal knots every ``knot_s``, cosine-interpolated."""
    pos = np.maximum(np.asarray(s, dtype=np.float64), 0.0) / knot_s
    j = np.floor(pos).astype(np.int64)
    if j.size == 0:
        return np.empty(j.shape)
    w = 0.5 - 0.5 * np.cos(np.pi * (pos - j))
    lo, hi = int(j.min()), int(j.max()) + 1
    v = knot_values(seed, stream, np.arange(lo, hi + 1))
    return v[j - lo] * (1.0 - w) + v[j + 1 - lo] * w


def poisson_times(
    seed: int, stream: str, block: int, block_s: float, rate_per_s: float
) -> tuple[np.ndarray, np.random.Generator]:
    """Sorted event times of a homogeneous Poisson process inside one block of time.

    The generator is returned so the caller draws each event's marks (and a
    thinning decision, for a time-varying rate) from the same block stream.
    """
    rng = block_rng(seed, stream, block)
    n = rng.poisson(rate_per_s * block_s)
    return block * block_s + np.sort(rng.uniform(0.0, block_s, n)), rng


class FilteredNoise:
    """White noise through a filter, rendered in blocks that join seamlessly.

    ``shape`` maps white noise of shape (2 * block_len, channels) to filtered
    noise of the same shape, starting from a rest state; block ``b`` is the
    second half of ``shape([white(b - 1); white(b)])``.
    """

    def __init__(
        self,
        seed: int,
        stream: str,
        block_len: int,
        channels: int,
        shape: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        self._seed = seed
        self._stream = stream
        self._block_len = block_len
        self._channels = channels
        self._shape = shape
        self._white: dict[int, np.ndarray] = {}

    def _white_block(self, b: int) -> np.ndarray:
        if b not in self._white:
            if len(self._white) >= 2:  # blocks are asked for in order: keep the last two
                del self._white[min(self._white)]
            rng = block_rng(self._seed, self._stream, b)
            self._white[b] = rng.standard_normal((self._block_len, self._channels))
        return self._white[b]

    def block(self, b: int) -> np.ndarray:
        prev = self._white_block(b - 1) if b > 0 else np.zeros((self._block_len, self._channels))
        both = np.concatenate([prev, self._white_block(b)])
        return self._shape(both)[self._block_len :]
