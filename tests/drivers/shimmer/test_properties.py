"""Hypothesis properties of the Shimmer stream decoder and GSR conversion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.shimmer import protocol as p
from drivers.shimmer.gsr import gsr_to_microsiemens, microsiemens_to_gsr

INQ = p.Inquiry(256, b"\x04\x01\x01\x09", 1, (p.CH_PPG_A13, p.CH_GSR))  # 128 Hz, PPG then GSR


def packets(start: int, n: int, values: list[tuple[int, int]]) -> list[bytes]:
    return [
        b"\x00"
        + ((start + i * INQ.rate_ticks) % p.TICK_WRAP).to_bytes(3, "little")
        + a.to_bytes(2, "little")
        + g.to_bytes(2, "little")
        for i, (a, g) in zip(range(n), values, strict=False)
    ]


streams = st.builds(
    lambda start, vals: packets(start, len(vals), vals),
    st.integers(0, p.TICK_WRAP - 1),
    st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 0xFFFF)), min_size=3, max_size=40),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.binary(max_size=1500), st.lists(st.integers(0, 5000), max_size=20))
def test_arbitrary_bytes_never_raise_and_chunking_does_not_matter(data: bytes, cuts: list[int]) -> None:
    whole = p.StreamDecoder(INQ).feed(data)
    dec = p.StreamDecoder(INQ)
    got_p, got_e = [], []
    for part in split(data, cuts):
        a, b = dec.feed(part)
        got_p += a
        got_e += b
    assert (got_p, got_e) == whole


@given(streams, st.lists(st.integers(0, 5000), max_size=20))
def test_clean_stream_decodes_every_packet_but_the_last_across_the_wrap(pk: list[bytes], cuts: list[int]) -> None:
    dec = p.StreamDecoder(INQ)
    got = [x for part in split(b"".join(pk), cuts) for x in dec.feed(part)[0]]
    assert got == pk[:-1]  # the last waits for the byte that confirms where it ends
    assert dec.counters["skipped_bytes"] == 0


# Fixed examples, drawn from numpy's generator by seed so that no other test and no hypothesis
# state can change them: with no checksum, a stray byte next to all-zero packets can alias a
# shifted packet (00 00000000 0000 00|01 reads either way), so a fresh random draw could fail
# by chance, and hypothesis drew different examples depending on which tests ran before it.
@pytest.mark.parametrize("seed", range(200))
def test_garbage_between_packets_never_yields_a_wrong_packet(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 41))
    values = [(int(rng.integers(0, 4096)), int(rng.integers(0, 0x10000))) for _ in range(n)]
    pk = packets(int(rng.integers(0, p.TICK_WRAP)), n, values)
    noisy = bytearray()
    for x in pk:
        if rng.random() < 0.5:
            noisy += rng.integers(0, 256, size=int(rng.integers(1, 11)), dtype=np.uint8).tobytes()
        noisy += x
    dec = p.StreamDecoder(INQ)
    got = dec.feed(bytes(noisy) + b"\x00")[0]
    # Every packet decoded is a real one, in order; noise may cost the packets beside it, never invent one.
    it = iter(pk)
    assert all(any(g == x for x in it) for g in got)


@given(st.floats(0.25, 120.0))
def test_gsr_round_trip_is_within_one_adc_step(us: float) -> None:
    raw = int(microsiemens_to_gsr(np.array([us]))[0])
    back, is_open = gsr_to_microsiemens(np.array([raw, raw - 1, raw + 1]), 4)
    assert not is_open[0]
    step = max(abs(back[1] - back[0]), abs(back[2] - back[0]))
    assert abs(back[0] - us) <= step


def test_a_single_packet_after_garbage_relocks_on_the_last_good_one() -> None:
    pk = packets(1000, 6, [(i, i) for i in range(6)])
    battery = bytes((p.INSTREAM, p.BATTERY_RESPONSE, 0x10, 0x0A, 0x00))
    garbage = b"\x55" * (5 * INQ.packet_size)  # long enough to lose the lock
    dec = p.StreamDecoder(INQ)
    got, events = dec.feed(b"".join(pk[:3]) + garbage + pk[4] + battery + garbage)
    assert dec.counters["resyncs"] == 2
    assert got == pk[:2] + [pk[4]]  # pk[2] is lost to the garbage after it; the lone pk[4] is kept
    assert [e.kind for e in events] == ["battery"]


def test_after_a_long_silence_two_packets_are_still_needed() -> None:
    first = packets(1000, 2, [(0, 0), (1, 1)])
    later = packets(1000 + 60 * p.TICK_HZ, 3, [(2, 2), (3, 3), (4, 4)])  # a minute on: no anchor to follow
    dec = p.StreamDecoder(INQ)
    got, _ = dec.feed(b"".join(first) + b"\x55" * (5 * INQ.packet_size) + later[0] + b"\xff")
    assert got == first[:1]  # first[1] is lost to the garbage after it; the lone later packet is not trusted
    got, _ = dec.feed(b"".join(later[1:]) + b"\x00")
    assert got == later[1:]


def test_a_corrupted_timestamp_a_whole_number_of_periods_on_does_not_cost_the_packets_after_it() -> None:
    pk = packets(1000, 10, [(i, i) for i in range(10)])
    bad = bytearray(pk[3])
    bad[2] ^= 0x40  # the tick's middle byte: 64 * 256 ticks, a whole number of 128 Hz periods later
    dec = p.StreamDecoder(INQ)
    got, _ = dec.feed(b"".join([*pk[:3], bytes(bad), *pk[4:]]) + b"\x00")
    assert got == pk[:3] + [bytes(bad)] + pk[4:]  # the flipped packet is believed (no checksum); the rest all come
