"""Digital Butterworth design as second-order sections, in numpy.

Written out rather than imported because ``import scipy.signal`` alone
takes a Python process to ~102 MB resident, over the agent's 90 MB budget
(docs/signals.md, "Memory"). The steps are scipy's ``butter(..., output="sos",
fs=fs)`` one for one: the analog prototype's poles, prewarped edges, the
low-pass / high-pass / band-pass transform, the bilinear transform, then
scipy's "nearest" pairing of poles with zeros (the pole nearest the unit
circle goes last), so the sections equal scipy's to ~1e-13
(tests/agent/signals/test_scipy_free.py checks a grid of designs).
"""

from __future__ import annotations

import numpy as np


def _analog_prototype(order: int) -> np.ndarray:
    m = np.arange(-order + 1, order, 2, dtype=np.float64)
    return -np.exp(1j * np.pi * m / (2 * order))


def butter_zpk(order: int, edges_hz: tuple[float, ...], btype: str, fs: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Zeros, poles and gain of a digital Butterworth filter (``btype``: lowpass, highpass, bandpass)."""
    if order < 1:
        raise ValueError(f"filter order must be >= 1, got {order}")
    wn = np.asarray(edges_hz, dtype=np.float64) / (fs / 2.0)
    if np.any(wn <= 0) or np.any(wn >= 1):
        raise ValueError(f"edges {edges_hz} Hz must lie strictly between 0 and fs/2 = {fs / 2} Hz")
    warped = 4.0 * np.tan(np.pi * wn / 2.0)  # prewarped for the bilinear transform at fs = 2
    p = _analog_prototype(order)
    z = np.zeros(0, dtype=np.complex128)
    k = 1.0
    if btype == "lowpass":
        wo = float(warped[0])
        p = wo * p
        k = k * wo**order
    elif btype == "highpass":
        wo = float(warped[0])
        k = k * float(np.real(1.0 / np.prod(-p)))
        p = wo / p
        z = np.zeros(order, dtype=np.complex128)
    elif btype == "bandpass":
        if not warped[0] < warped[1]:
            raise ValueError(f"band edges {edges_hz} must be increasing")
        bw = float(warped[1] - warped[0])
        wo = float(np.sqrt(warped[0] * warped[1]))
        p_lp = (p * bw / 2).astype(np.complex128)
        root = np.sqrt(p_lp**2 - wo**2)
        p = np.concatenate((p_lp + root, p_lp - root))
        z = np.zeros(order, dtype=np.complex128)
        k = k * bw**order
    else:
        raise ValueError(f"unknown band type {btype!r}")
    # bilinear transform at fs = 2 (so 2 * fs = 4)
    degree = p.shape[0] - z.shape[0]
    k = k * float(np.real(np.prod(4.0 - z) / np.prod(4.0 - p)))
    z = np.concatenate(((4.0 + z) / (4.0 - z), -np.ones(degree)))
    p = (4.0 + p) / (4.0 - p)
    return z, p, k


def _split_conjugates(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One of each conjugate pair (positive imaginary part) and the real values, each sorted by real part."""
    tol = 100 * np.finfo(np.float64).eps
    v = values[np.lexsort((np.abs(values.imag), values.real))]
    real = np.abs(v.imag) <= tol * np.abs(v)
    pos = v[~real]
    pos = pos[pos.imag > 0]
    return pos, v[real].real


def _section(zeros: list[complex], poles: list[complex]) -> np.ndarray:
    sos = np.zeros(6)
    b = np.atleast_1d(np.real(np.poly(zeros)))
    a = np.atleast_1d(np.real(np.poly(poles)))
    sos[3 - len(b) : 3] = b
    sos[6 - len(a) : 6] = a
    return sos


def _nearest_real(values: np.ndarray, to: complex) -> int:
    order = np.argsort(np.abs(values - to))
    return int(order[np.flatnonzero(np.isreal(values[order]))[0]])


def zpk_to_sos(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """scipy's ``zpk2sos(pairing="nearest")`` for digital filters whose zeros are all real (Butterworth's)."""
    n = max(p.shape[0], z.shape[0])
    p = np.concatenate((p, np.zeros(n - p.shape[0])))
    z = np.concatenate((z, np.zeros(n - z.shape[0])))
    if n % 2:
        p, z = np.concatenate((p, [0.0])), np.concatenate((z, [0.0]))
    zc, zr = _split_conjugates(z.astype(np.complex128))
    if zc.shape[0]:
        raise ValueError("only filters with real zeros are supported")
    pc, pr = _split_conjugates(p.astype(np.complex128))
    poles = np.concatenate((pc, pr.astype(np.complex128)))
    zeros = zr.astype(np.complex128)
    sections = (n + 1) // 2
    sos = np.zeros((sections, 6))
    for si in range(sections - 1, -1, -1):  # the pole nearest the unit circle goes last
        i1 = int(np.argmin(np.abs(1 - np.abs(poles))))
        p1 = poles[i1]
        poles = np.delete(poles, i1)
        if np.isreal(p1) and np.isreal(poles).sum() == 0:  # the last real pole: a first-order section
            j = _nearest_real(zeros, p1)
            sos[si] = _section([zeros[j], 0], [p1, 0])
            zeros = np.delete(zeros, j)
            continue
        if np.isreal(p1):
            reals = np.flatnonzero(np.isreal(poles))
            i2 = int(reals[np.argmin(np.abs(1 - np.abs(poles[reals])))])
            p2 = poles[i2]
            poles = np.delete(poles, i2)
        else:
            p2 = p1.conjugate()
        if zeros.shape[0] == 0:
            sos[si] = _section([], [p1, p2])
            continue
        j1 = int(np.argsort(np.abs(zeros - p1))[0])
        z1 = zeros[j1]
        zeros = np.delete(zeros, j1)
        if zeros.shape[0] == 0:
            sos[si] = _section([z1], [p1, p2])
            continue
        j2 = _nearest_real(zeros, p1)
        sos[si] = _section([z1, zeros[j2]], [p1, p2])
        zeros = np.delete(zeros, j2)
    sos[0, :3] *= k
    return sos


def butter_sos(
    order: int, fs: float, *, low_hz: float | None = None, high_hz: float | None = None
) -> np.ndarray | None:
    """Butterworth SOS for a high-pass (``low_hz``), low-pass (``high_hz``) or band-pass (both).

    Returns None when no edge is below Nyquist (e.g. a 3 Hz low-pass on a
    4 Hz EDA stream): the caller then passes the signal through unfiltered.
    """
    nyq = fs / 2.0
    low = low_hz if low_hz is not None and 0 < low_hz < nyq * 0.95 else None
    high = high_hz if high_hz is not None and 0 < high_hz < nyq * 0.95 else None
    if low is not None and high is not None:
        return zpk_to_sos(*butter_zpk(order, (low, high), "bandpass", fs))
    if low is not None:
        return zpk_to_sos(*butter_zpk(order, (low,), "highpass", fs))
    if high is not None:
        return zpk_to_sos(*butter_zpk(order, (high,), "lowpass", fs))
    return None
