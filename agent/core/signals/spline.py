"""Not-a-knot cubic spline interpolation: ``scipy.interpolate.make_interp_spline(x, y, k=3)``.

Written in numpy because ``import scipy.interpolate`` takes a Python process
to ~77 MB resident, near the agent's whole 90 MB budget (docs/signals.md,
"Memory"). The spline is solved for its second derivatives at the knots
(the "moments"): continuity of the first derivative gives a tridiagonal
system, and not-a-knot (third derivative continuous at the second and the
second-to-last knot) closes it; substituting the two end moments keeps it
tridiagonal, and the Thomas algorithm solves it (diagonally dominant, so no
pivoting is needed). Agrees with scipy to ~1e-12 relative (the tests).
"""

from __future__ import annotations

import numpy as np


def _solve_tridiagonal(sub: np.ndarray, diag: np.ndarray, sup: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Thomas algorithm; ``sub[0]`` and ``sup[-1]`` are ignored."""
    n = diag.shape[0]
    c = [0.0] * n
    d = [0.0] * n
    a_, b_, c_, r_ = sub.tolist(), diag.tolist(), sup.tolist(), rhs.tolist()
    c[0] = c_[0] / b_[0]
    d[0] = r_[0] / b_[0]
    for i in range(1, n):
        m = b_[i] - a_[i] * c[i - 1]
        c[i] = c_[i] / m
        d[i] = (r_[i] - a_[i] * d[i - 1]) / m
    out = [0.0] * n
    out[-1] = d[-1]
    for i in range(n - 2, -1, -1):
        out[i] = d[i] - c[i] * out[i + 1]
    return np.array(out)


def not_a_knot_moments(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Second derivatives of the not-a-knot cubic spline through ``(x, y)`` at each knot."""
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"a not-a-knot cubic spline needs at least 4 points, got {n}")
    h = np.diff(x)
    if np.any(h <= 0):
        raise ValueError("spline knots must be strictly increasing")
    slope = np.diff(y) / h
    # rows for interior knots 1..n-2: h[i-1] M[i-1] + 2 (h[i-1] + h[i]) M[i] + h[i] M[i+1] = 6 (slope[i] - slope[i-1])
    sub = h[:-1].copy()
    diag = 2.0 * (h[:-1] + h[1:])
    sup = h[1:].copy()
    rhs = 6.0 * np.diff(slope)
    # not-a-knot at knot 1: M0 = ((h0 + h1) M1 - h0 M2) / h1; fold into the first row
    h0, h1 = float(h[0]), float(h[1])
    diag[0] += h0 * (h0 + h1) / h1
    sup[0] -= h0 * h0 / h1
    # and at knot n-2: M[n-1] = ((h[-1] + h[-2]) M[n-2] - h[-1] M[n-3]) / h[-2]
    ha, hb = float(h[-2]), float(h[-1])
    diag[-1] += hb * (ha + hb) / ha
    sub[-1] -= hb * hb / ha
    inner = _solve_tridiagonal(sub, diag, sup, rhs)
    m = np.empty(n)
    m[1:-1] = inner
    m[0] = ((h0 + h1) * m[1] - h0 * m[2]) / h1
    m[-1] = ((ha + hb) * m[-2] - hb * m[-3]) / ha
    return m


def cubic_interpolate(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The not-a-knot cubic spline through ``(x, y)`` evaluated at ``at`` (extrapolated beyond the ends)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = not_a_knot_moments(x, y)
    i = np.clip(np.searchsorted(x, at, side="right") - 1, 0, x.shape[0] - 2)
    x0, x1, y0, y1, m0, m1 = x[i], x[i + 1], y[i], y[i + 1], m[i], m[i + 1]
    h = x1 - x0
    a, b = x1 - at, at - x0
    return (m0 * a**3 + m1 * b**3) / (6.0 * h) + (y0 / h - m0 * h / 6.0) * a + (y1 / h - m1 * h / 6.0) * b
