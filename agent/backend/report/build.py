"""Read, compute, draw, write: the report for a selection of devices and sessions."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from agent.backend.report import charts, page
from agent.backend.report.data import Selection, load_devices, load_sessions
from agent.backend.report.metrics import DeviceFigures, device_figures
from agent.backend.store import Store


@dataclass(frozen=True, slots=True)
class ReportResult:
    index: Path
    csv: Path
    fhir: Path | None
    devices: list[DeviceFigures]
    session_charts: list[Path]


def build(store: Store, out: Path, selection: Selection = Selection(), *, fhir: bool = False,
          now: float | None = None) -> ReportResult:
    now = time.time() if now is None else now
    charts_dir = out / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    sessions = load_sessions(store, selection)
    known = load_devices(store)
    sections = []
    figures = []
    pngs = []
    for (site, device), group in groupby(sessions, key=lambda s: (s.site, s.device)):
        mine = list(group)
        f = device_figures(known.get((site, device)), site, device, mine)
        figures.append(f)
        device_png = charts.device_chart(f, mine, charts_dir / f"{site}__{device}.png")
        session_pngs = [(s, charts.session_chart(s, charts_dir / f"{s.slug}.png")) for s in mine]
        pngs += [p for _, p in session_pngs]
        sections.append((f, device_png, session_pngs))
    title = "VR therapy outcome report" + (f": {selection.device}" if selection.device else
                                          f": site {selection.site}" if selection.site else "")
    index = page.write_index(out, title, sections, now)
    csv_path = page.write_csv(out, sessions)
    fhir_path = None
    if fhir:
        from agent.backend.report.fhir import bundle

        fhir_path = out / "fhir-bundle.json"
        fhir_json = json.loads(bundle(sessions, now).model_dump_json())
        fhir_path.write_text(json.dumps(fhir_json, indent=1), encoding="utf-8")
    return ReportResult(index, csv_path, fhir_path, figures, pngs)
