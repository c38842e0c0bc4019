"""WESAD wrist recordings (``SX_wrist.npz``): an Empatica E4 on the wrist.

Streams: ``eda`` (µS, 4 Hz), ``bvp`` (the raw 64 Hz PPG from ``bvp_64``),
``temp`` (°C, 4 Hz), ``acc`` (block-averaged to 4 Hz; converted from 1/64 g
to g) and ``label``, the study condition at 4 Hz as its own stream
(:data:`CONDITIONS`). All start together at offset 0; the recording has no
wall-clock time, so ``device_t`` is seconds since its start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.plugin import Modality, StreamSpec
from drivers.replay.formats.files import check, npz, numbers, rate
from drivers.replay.formats.sniff import Sniff
from drivers.replay.recording import StreamSelection, Track

NAME = "wesad-npz"
SUMMARY = "WESAD wrist .npz (E4: EDA, 64 Hz BVP, TEMP, ACC, condition label)"
CONDITIONS = {0: "transient", 1: "baseline", 2: "stress", 3: "amusement", 4: "meditation"}  # 5-7: ignore
_KEYS = ("fs", "label", "eda", "temp", "acc", "bvp_64")
E4_ACC_PER_G = 64.0  # the E4 reports acceleration in 1/64 g


def matches(s: Sniff) -> bool:
    return s.suffix == ".npz" and {"label", "eda", "bvp_64"} <= s.names


def load(path: Path, select: StreamSelection) -> list[Track]:
    with npz(path, _KEYS) as z:
        fs = rate(z, path, "fs")
        label = numbers(z, path, "label", ndim=1)
        n = label.shape[0]

        def column(key: str, width: int | None = None) -> np.ndarray:
            a = numbers(z, path, key, ndim=1 if width is None else 2)
            want = (n,) if width is None else (n, width)
            check(path, a.shape == want, f"{key} has shape {a.shape}, expected {want} like label")
            return a

        tracks = []
        if select.wants("eda"):
            tracks.append(Track(StreamSpec("eda", Modality.EDA, ("eda",), "µS", fs), column("eda")))
        if select.wants("bvp"):
            bvp = numbers(z, path, "bvp_64", ndim=1)
            ratio = bvp.shape[0] // n if n else 0
            check(
                path,
                n > 0 and bvp.shape[0] == ratio * n,
                f"bvp_64 has {bvp.shape[0]} samples, not a whole multiple of the {n} labels",
            )
            tracks.append(Track(StreamSpec("bvp", Modality.PPG, ("bvp",), "a.u.", fs * ratio), bvp))
        if select.wants("temp"):
            tracks.append(Track(StreamSpec("temp", Modality.TEMP, ("temp",), "°C", fs), column("temp")))
        if select.wants("acc"):
            acc = column("acc", 3).astype(np.float32) / np.float32(E4_ACC_PER_G)
            tracks.append(Track(StreamSpec("acc", Modality.ACC, ("x", "y", "z"), "g", fs), acc))
        if select.wants("label"):
            tracks.append(Track(StreamSpec("label", Modality.OTHER, ("condition",), "code", fs), label))
    return tracks
