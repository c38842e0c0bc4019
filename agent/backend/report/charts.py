"""The report's charts, drawn with matplotlib (Agg, no display) into PNG files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on a backend server
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from agent.backend.report.data import Session  # noqa: E402
from agent.backend.report.metrics import DeviceFigures, pain_change, tolerance_share  # noqa: E402

LEVEL_COLOURS = {"calm": "#43a047", "elevated": "#fb8c00", "distressed": "#e53935", "hold": "#9e9e9e"}
DPI = 100


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, format="png")
    plt.close(fig)
    return path


def session_chart(s: Session, path: Path) -> Path:
    """HR and skin conductance, distress per minute over the level bands, adaptations, and pain before → after."""
    fig = plt.figure(figsize=(10, 5.2), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=(5, 1))
    ax_phys = fig.add_subplot(grid[0, 0])
    ax_dist = fig.add_subplot(grid[1, 0], sharex=ax_phys)
    ax_pain = fig.add_subplot(grid[:, 1])
    when = dt.datetime.fromtimestamp(s.started, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    fig.suptitle(f"{s.device} · session {s.session_id} · {when} · {s.duration_s / 60:.0f} min"
                 f"{'' if s.completed else ' · ended early'}", fontsize=11)
    x = [(m.started - s.started) / 60 for m in s.minutes]

    hr = [(xi + 0.5, m.hr_bpm) for xi, m in zip(x, s.minutes, strict=True) if m.hr_bpm is not None]
    scl = [(xi + 0.5, m.scl_us) for xi, m in zip(x, s.minutes, strict=True) if m.scl_us is not None]
    if hr:
        ax_phys.plot(*zip(*hr, strict=True), "o-", color="#c62828", label="heart rate (bpm)")
    ax_phys.set_ylabel("heart rate (bpm)", color="#c62828")
    ax_scl = ax_phys.twinx()
    if scl:
        ax_scl.plot(*zip(*scl, strict=True), "s-", color="#1565c0", label="skin conductance (µS)")
    ax_scl.set_ylabel("skin conductance (µS)", color="#1565c0")
    if not hr and not scl:
        ax_phys.text(0.5, 0.5, "no heart rate or skin conductance in this session's minutes", ha="center",
                     va="center", transform=ax_phys.transAxes)
    ax_phys.set_xlim(min([0.0, *x]), max([s.duration_s / 60, *(xi + 1 for xi in x)]))

    for xi, m in zip(x, s.minutes, strict=True):  # each minute's band: its time at each level, stacked
        left = xi
        for level in ("calm", "elevated", "distressed", "hold"):
            width = m.levels_s.get(level, 0.0) / 60
            if width > 0:
                ax_dist.axvspan(left, left + width, ymin=0, ymax=1, color=LEVEL_COLOURS[level], alpha=0.25, lw=0)
                left += width
    dist = [(xi + 0.5, m.distress_mean) for xi, m in zip(x, s.minutes, strict=True) if m.distress_mean is not None]
    if dist:
        ax_dist.plot(*zip(*dist, strict=True), "o-", color="black", label="distress (mean per minute)")
    p90 = [(xi + 0.5, m.distress_p90) for xi, m in zip(x, s.minutes, strict=True) if m.distress_p90 is not None]
    if p90:
        ax_dist.plot(*zip(*p90, strict=True), ":", color="black", label="distress p90")
    ax_dist.set_ylim(0, 1)
    ax_dist.set_ylabel("distress (0–1)")
    ax_dist.set_xlabel("minutes since the session started")
    ax_adapt = ax_dist.twinx()
    ax_adapt.bar([xi + 0.5 for xi in x], [m.adaptations for m in s.minutes], width=0.12, color="#5e35b1", alpha=0.6)
    ax_adapt.set_ylim(0, max([1, *(m.adaptations for m in s.minutes)]) * 2.5)  # kept low, under the distress line
    ax_adapt.set_ylabel("adaptations per minute", color="#5e35b1")
    ax_dist.legend(handles=[Patch(color=c, alpha=0.4, label=lv) for lv, c in LEVEL_COLOURS.items()],
                   loc="upper left", fontsize=8, ncols=4)

    before, after = s.pain_before, s.pain_after
    ax_pain.set_ylim(0, 10)
    ax_pain.set_xlim(-0.5, 1.5)
    ax_pain.set_xticks([0, 1], ["before", "after"])
    ax_pain.set_title("pain (0–10)", fontsize=10)
    if before is not None:
        ax_pain.bar(0, before, color="#8d6e63")
    if after is not None:
        ax_pain.bar(1, after, color="#26a69a")
    change = pain_change(s)
    if change is not None:
        ax_pain.annotate(f"{change:+g}", xy=(0.5, max(before or 0, after or 0) + 0.4), ha="center", fontsize=12)
    return _save(fig, path)


def device_chart(f: DeviceFigures, sessions: list[Session], path: Path) -> Path:
    """Sessions per week against the prescription, pain before/after over time, time in the window of tolerance."""
    fig, (ax_week, ax_pain, ax_tol) = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    fig.suptitle(f"{f.site} / {f.device}", fontsize=11)
    labels = [monday.strftime("%d %b") for monday, _ in f.weeks]
    ax_week.bar(range(len(f.weeks)), [n for _, n in f.weeks], color="#1e88e5")
    ax_week.set_xticks(range(len(f.weeks)), labels, rotation=45, fontsize=8)
    if f.prescribed_per_week:
        ax_week.axhline(f.prescribed_per_week, color="#e53935", ls="--", label=f"prescribed: {f.prescribed_per_week}")
        ax_week.legend(fontsize=8)
    ax_week.set_title("sessions per week", fontsize=10)
    ax_week.yaxis.set_major_locator(MaxNLocator(integer=True))

    dates = [dt.datetime.fromtimestamp(s.started, dt.UTC) for s in sessions]
    with_pain = [(d, s) for d, s in zip(dates, sessions, strict=True) if pain_change(s) is not None]
    for d, s in with_pain:
        ax_pain.annotate("", xy=(d, s.pain_after), xytext=(d, s.pain_before),
                         arrowprops={"arrowstyle": "->",
                                     "color": "#26a69a" if (pain_change(s) or 0) <= 0 else "#e53935"})
    if with_pain:
        ax_pain.scatter([d for d, _ in with_pain], [s.pain_before for _, s in with_pain], color="#8d6e63", s=14,
                        label="before")
        ax_pain.legend(fontsize=8)
    ax_pain.set_ylim(0, 10)
    ax_pain.set_title("pain before → after, per session", fontsize=10)
    ax_pain.tick_params(axis="x", labelrotation=45, labelsize=8)

    shares = [tolerance_share(s.levels_s) for s in sessions]
    ax_tol.bar(range(len(sessions)), [100 * (v or 0) for v in shares],
               color=["#43a047" if s.completed else "#9e9e9e" for s in sessions])
    ax_tol.set_ylim(0, 100)
    ax_tol.set_title("time in the window of tolerance (%)\ngrey: ended early", fontsize=10)
    ax_tol.set_xlabel("session")
    return _save(fig, path)
