"""``index.html`` (self-contained: inline style, charts as PNG files beside it) and ``sessions.csv``."""

from __future__ import annotations

import csv
import datetime as dt
from html import escape
from pathlib import Path

from agent.backend.report.data import Session
from agent.backend.report.metrics import DeviceFigures, pain_change, tolerance_share

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212121; max-width: 1400px; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f5f5f5; } td.text { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.3rem 0; }
.figures td { font-size: 1.05rem; } .early { color: #c62828; }
#image-check { padding: 0.5rem; background: #ffebee; color: #b71c1c; display: none; }
"""

# Says on the page itself when a chart failed to load (a moved folder, a missing file), and leaves the count
# on <body data-images-broken> for a headless browser to read.
CHECK_IMAGES = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; });
  document.body.dataset.imagesLoaded = String(imgs.length - broken.length);
  document.body.dataset.imagesBroken = String(broken.length);
  if (broken.length) {
    var note = document.getElementById("image-check");
    note.textContent = broken.length + " chart(s) could not be loaded: keep index.html next to its charts/ folder.";
    note.style.display = "block";
  }
});
"""


def _fmt(v: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "–" if v is None else f"{v:{spec}}{suffix}"


def _day(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M")


def write_index(out: Path, title: str, devices: list[tuple[DeviceFigures, Path, list[tuple[Session, Path]]]],
                generated: float) -> Path:
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
             f"<p>Generated {_day(generated)} UTC from session and minute summaries. Times are UTC. "
             "Devices and sessions are named by id only. Table: <a href='sessions.csv'>sessions.csv</a>.</p>",
             "<p id='image-check'></p>"]
    if not devices:
        parts.append("<p>No sessions match this selection.</p>")
    for f, chart, sessions in devices:
        rx = (f"{f.prescribed_per_week} sessions/week × {f.minutes_per_session:g} min"
              if f.prescribed_per_week and f.minutes_per_session else "none recorded")
        parts += [
            f"<h2 id='{escape(f.site)}-{escape(f.device)}'>{escape(f.site)} / {escape(f.device)}</h2>",
            "<table class='figures'><tr><th>prescription</th><th>sessions</th><th>compliance</th>"
            "<th>mean pain change</th><th>time in window of tolerance</th><th>ended early</th></tr>",
            f"<tr><td class='text'>{escape(rx)}</td><td>{f.sessions}</td>"
            f"<td>{_fmt(None if f.compliance is None else 100 * f.compliance, '.0f', ' %')}</td>"
            f"<td>{_fmt(f.mean_pain_change, '+.1f')}</td>"
            f"<td>{_fmt(None if f.tolerance is None else 100 * f.tolerance, '.0f', ' %')}</td>"
            f"<td class='{'early' if f.ended_early else ''}'>{f.ended_early}</td></tr></table>",
            f"<img src='{escape(chart.relative_to(out).as_posix())}' alt='weekly compliance, pain and tolerance for "
            f"{escape(f.device)}'>",
            "<table><tr><th>session</th><th>start (UTC)</th><th>minutes</th><th>completed</th><th>pain before</th>"
            "<th>pain after</th><th>change</th><th>in window</th><th>adaptations</th></tr>",
        ]
        for s, png in sessions:
            share = tolerance_share(s.levels_s)
            parts.append(
                f"<tr><td class='text'><a href='#{escape(png.stem)}'>{escape(s.session_id)}</a></td>"
                f"<td>{_day(s.started)}</td><td>{s.duration_s / 60:.1f}</td>"
                f"<td class='{'' if s.completed else 'early'}'>"
                f"{'yes' if s.completed else escape(s.end_reason or 'no')}</td>"
                f"<td>{_fmt(s.pain_before, 'g')}</td><td>{_fmt(s.pain_after, 'g')}</td>"
                f"<td>{_fmt(pain_change(s), '+g')}</td>"
                f"<td>{_fmt(None if share is None else 100 * share, '.0f', ' %')}</td>"
                f"<td>{s.adaptations}</td></tr>")
        parts.append("</table>")
        for s, png in sessions:
            parts.append(f"<h3 id='{escape(png.stem)}'>session {escape(s.session_id)}</h3>"
                         f"<img src='{escape(png.relative_to(out).as_posix())}' alt='session {escape(s.session_id)}'>")
    parts.append(f"<script>{CHECK_IMAGES}</script></body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


CSV_COLUMNS = ["site", "device", "session_id", "start_utc", "duration_min", "completed", "end_reason", "scene",
               "pain_before", "pain_after", "pain_change", "calm_s", "elevated_s", "distressed_s", "hold_s",
               "tolerance_pct", "adaptations", "minutes_reported"]


def write_csv(out: Path, sessions: list[Session]) -> Path:
    path = out / "sessions.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for s in sessions:
            share = tolerance_share(s.levels_s)
            w.writerow([s.site, s.device, s.session_id, dt.datetime.fromtimestamp(s.started, dt.UTC).isoformat(),
                        round(s.duration_s / 60, 2), s.completed, s.end_reason or "", s.scene or "",
                        "" if s.pain_before is None else s.pain_before, "" if s.pain_after is None else s.pain_after,
                        "" if pain_change(s) is None else pain_change(s),
                        *(round(s.levels_s.get(lv, 0.0), 1) for lv in ("calm", "elevated", "distressed", "hold")),
                        "" if share is None else round(100 * share, 1), s.adaptations, len(s.minutes)])
    return path
