"""Fixed-capacity ring buffers whose newest ``n`` values are always one contiguous view.

Every value is written twice, at ``i`` and ``i + capacity``, so the last
``n <= capacity`` values are a plain slice of the backing array: windows are
read without copying and without Python loops, which keeps per-tick feature
updates cheap (see docs/signals.md, "CPU budget").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


class Ring:
    """The newest ``capacity`` rows of a stream of float64 rows of ``width`` columns.

    ``total`` counts every row ever pushed, so a row's absolute index stays
    valid for as long as it is held (``absolute_index - (total - len(ring))``).
    """

    def __init__(self, capacity: int, width: int = 1, dtype: npt.DTypeLike = np.float64) -> None:
        if capacity < 1:
            raise ValueError(f"ring capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.width = width
        self._buf = np.zeros((2 * capacity, width), dtype=dtype)
        # read-only views of the buffer are handed out many times a tick: one made here slices read-only
        self._readonly = self._buf.view()
        self._readonly.flags.writeable = False
        self._head = 0  # where the next row goes, in [0, capacity)
        self.total = 0

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def clear(self) -> None:
        self._head = 0
        self.total = 0

    def push(self, rows: npt.ArrayLike) -> None:
        """Append rows (shape (n, width), or (n,) when width is 1)."""
        a = np.asarray(rows, dtype=self._buf.dtype)
        if a.ndim == 1:
            a = a.reshape(-1, self.width)
        n = a.shape[0]
        if n == 0:
            return
        cap = self.capacity
        if n >= cap:  # only the newest ``cap`` rows survive
            a = a[n - cap :]
            self._buf[:cap] = a
            self._buf[cap:] = a
            self._head = 0
            self.total += n
            return
        h = self._head
        first = min(n, cap - h)
        self._buf[h : h + first] = a[:first]
        self._buf[h + cap : h + cap + first] = a[:first]
        rest = n - first
        if rest:
            self._buf[:rest] = a[first:]
            self._buf[cap : cap + rest] = a[first:]
        self._head = (h + n) % cap
        self.total += n

    def last(self, n: int | None = None) -> np.ndarray:
        """The newest ``n`` rows (all held rows by default), oldest first, as a read-only view."""
        held = len(self)
        n = held if n is None else max(0, min(n, held))
        end = self._head + self.capacity
        return self._readonly[end - n : end]

    def column(self, n: int | None = None, col: int = 0) -> np.ndarray:
        return self.last(n)[:, col]

    @property
    def first_index(self) -> int:
        """Absolute index of the oldest row still held."""
        return self.total - len(self)

    def span(self, start: int, stop: int) -> np.ndarray:
        """Rows with absolute indices in [start, stop); they must still be held."""
        if start < self.first_index or stop > self.total or start > stop:
            raise IndexError(f"rows [{start}, {stop}) not held (held [{self.first_index}, {self.total}))")
        return self.last(self.total - start)[: stop - start]


class TimedRing:
    """A ring of ``(t, values...)`` rows kept in time order, with time-window lookups."""

    def __init__(self, capacity: int, width: int = 1) -> None:
        self._ring = Ring(capacity, width + 1)
        self.width = width
        self._clears = 0

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the contents do (a push or a clear): half of a cache key."""
        return (self._clears, self._ring.total)

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def total(self) -> int:
        return self._ring.total

    def clear(self) -> None:
        self._ring.clear()
        self._clears += 1

    def push(self, t: npt.ArrayLike, values: npt.ArrayLike) -> None:
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        rows = np.empty((t.shape[0], self.width + 1))
        rows[:, 0] = t
        rows[:, 1:] = np.asarray(values, dtype=np.float64).reshape(t.shape[0], self.width)
        self._ring.push(rows)

    def window(self, t_start: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
        """``(t, values)`` of rows with ``t_start < t <= t_end`` (views, oldest first)."""
        rows = self._ring.last()
        t = rows[:, 0]
        i0 = int(t.searchsorted(t_start, side="right"))
        i1 = int(t.searchsorted(t_end, side="right"))
        return t[i0:i1], rows[i0:i1, 1:]

    def window_bounds(self, t_start: float, t_end: float) -> tuple[int, int]:
        """Absolute indices [i0, i1) of the rows in ``(t_start, t_end]``: a cheap cache key."""
        t = self._ring.last()[:, 0]
        base = self._ring.first_index
        return (
            base + int(t.searchsorted(t_start, side="right")),
            base + int(t.searchsorted(t_end, side="right")),
        )

    def stable_until(self, t_start: float, t_end: float) -> float:
        """The window end at which ``(t_start + d, t_end + d]`` first holds other rows, if nothing is pushed.

        Its oldest row leaves at ``t_end + (t_oldest - t_start)``; the first row after it enters at
        its own time. The other half of a cache key: results for any window end below this are equal.
        """
        t = self._ring.last()[:, 0]
        i0 = int(t.searchsorted(t_start, side="right"))
        i1 = int(t.searchsorted(t_end, side="right"))
        leave = t_end + (float(t[i0]) - t_start) if i0 < i1 else np.inf
        enter = float(t[i1]) if i1 < t.shape[0] else np.inf
        return min(leave, enter)

    def last_t(self) -> float | None:
        if not len(self._ring):
            return None
        return float(self._ring.last(1)[0, 0])


class WindowCache:
    """Remembers one result until its inputs change (a new ``version``) or time reaches ``until``."""

    def __init__(self) -> None:
        self._key: object = None
        self._t = np.inf
        self._until = -np.inf
        self.value: object = None

    def hit(self, key: object, t: float) -> bool:
        return key == self._key and self._t <= t < self._until

    def store(self, key: object, t: float, until: float, value: object) -> None:
        self._key, self._t, self._until, self.value = key, t, until, value
