"""Small valid recordings of every replay format, and byte-level corruptions of them.

The campaign and the tests corrupt these seeds and open the result: the
readers may return tracks or raise the contract errors, nothing else.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from agent.errors import ConfigError, DeviceNotFound
from drivers.replay.formats import open_recording

# What a reader may raise for a bad file: RecordingUnreadable (a ConfigError),
# a ConfigError about the selection, or DeviceNotFound for a missing file.
CONTRACT = (ConfigError, DeviceNotFound)


def _npz(**arrays: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _npy(a: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, a)
    return out.getvalue()


def _opensignals() -> bytes:
    header = {"00:07:80:4D:2E:76": {"sampling rate": 100, "column": ["nSeq", "I1", "A2"],
                                    "resolution": [4, 1, 10], "label": ["A2"], "sensor": ["ECG"]}}
    rows = "\n".join(f"{i % 16}\t0\t{512 + i}" for i in range(20))
    return f"# OpenSignals Text File Format\n# {json.dumps(header)}\n# EndOfHeader\n{rows}\n".encode()


def seeds() -> dict[str, bytes]:
    """File name -> bytes of a small valid recording of each single-file format."""
    n = 8
    return {
        "S1_wrist.npz": _npz(
            fs=np.float64(4),
            label=np.zeros(n, np.int8),
            eda=np.linspace(0, 1, n, dtype=np.float32),
            temp=np.full(n, 33, np.float32),
            acc=np.zeros((n, 3), np.float32),
            bvp_64=np.zeros(4 * n, np.float32),
        ),
        "Subject00.npz": _npz(
            fs=np.float64(500),
            channels=np.array(["Fp1", "ECG"]),
            units=np.array(["uV", "mV"]),
            rest=np.ones((n, 2), np.int16),
            task=np.ones((n, 2), np.int16),
            rest_scale=np.ones(2),
            rest_offset=np.zeros(2),
            task_scale=np.ones(2),
            task_offset=np.zeros(2),
        ),
        "nn.npy": _npy(np.array([800.0, 810, 790, 805])),
        "nn.txt": b"800\n810\n790\n805\n",
        "muse.csv": b"timestamps,TP9,AF7,AF8,TP10,Right AUX\n"
        + b"".join(f"{1000 + i / 256:.6f},1,2,3,4,5\n".encode() for i in range(n)),
        "bio_100hz.csv": b"ECG,EDA\n" + b"".join(f"0.{i},1.{i}\n".encode() for i in range(n)),
        "opensignals.txt": _opensignals(),
    }


def open_corrupted(folder: Path, name: str, data: bytes) -> None:
    """Write ``data`` as ``name`` and open it; a contract error is an answer, anything else escapes."""
    path = folder / name
    path.write_bytes(data)
    try:
        open_recording(path, "auto", None)
    except CONTRACT:
        pass
