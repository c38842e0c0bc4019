"""Byte-level mutations of valid inputs: bit flips, edge values, cuts, insertions, reversals."""

from __future__ import annotations

import random
from collections.abc import Callable

Mutation = Callable[[bytearray, random.Random], None]


def _flip(b: bytearray, r: random.Random) -> None:
    if b:
        b[r.randrange(len(b))] ^= 1 << r.randrange(8)


def _byte(b: bytearray, r: random.Random) -> None:
    if b:
        b[r.randrange(len(b))] = r.choice((0, 0xFF, 0x7F, 0x80, r.randrange(256)))


def _truncate(b: bytearray, r: random.Random) -> None:
    del b[r.randrange(len(b) + 1) :]


def _insert(b: bytearray, r: random.Random) -> None:
    at = r.randrange(len(b) + 1)
    b[at:at] = r.randbytes(r.randrange(1, 9))


def _delete(b: bytearray, r: random.Random) -> None:
    if b:
        at = r.randrange(len(b))
        del b[at : at + r.randrange(1, 9)]


def _reverse(b: bytearray, r: random.Random) -> None:
    if len(b) > 2:
        i, j = sorted(r.sample(range(len(b)), 2))
        b[i:j] = b[i:j][::-1]


def _duplicate(b: bytearray, r: random.Random) -> None:
    if b:
        i = r.randrange(len(b))
        j = min(len(b), i + r.randrange(1, 17))
        at = r.randrange(len(b) + 1)
        b[at:at] = b[i:j]


MUTATIONS: tuple[Mutation, ...] = (_flip, _byte, _truncate, _insert, _delete, _reverse, _duplicate)


def corrupt(data: bytes, r: random.Random, *, rounds: int | None = None) -> bytes:
    """``data`` with 1-3 (or ``rounds``) random mutations."""
    b = bytearray(data)
    for _ in range(rounds if rounds is not None else r.randrange(1, 4)):
        r.choice(MUTATIONS)(b, r)
    return bytes(b)


def split(data: bytes, r: random.Random, parts: int = 4) -> list[bytes]:
    """``data`` cut at random points, as a serial port or socket may deliver it."""
    cuts = sorted(r.randrange(len(data) + 1) for _ in range(r.randrange(parts)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


_ODD_VALUES: tuple[object, ...] = (
    float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 2**63, -(2**63), 2**64 - 1, b"\xff\xfe", "", "\x00" * 3,
    None, True, [], {}, [1, "a"], {"k": b"\x80"}, "é" * 70,
)


def mutate_value(value: object, r: random.Random) -> object:
    """A msgpack-able value with one leaf or key changed to an odd one, or a key dropped or added."""
    if isinstance(value, dict) and value and r.random() < 0.8:
        out = dict(value)
        key = r.choice(list(out))
        roll = r.random()
        if roll < 0.1:
            del out[key]
        elif roll < 0.2:
            out[r.choice(("extra", key + "_", b"k"))] = r.choice(_ODD_VALUES)
        else:
            out[key] = mutate_value(out[key], r)
        return out
    if isinstance(value, list) and value and r.random() < 0.8:
        out_list = list(value)
        i = r.randrange(len(out_list))
        out_list[i] = mutate_value(out_list[i], r)
        return out_list
    return r.choice(_ODD_VALUES)
