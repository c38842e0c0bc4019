"""The clinician's outcome report: charts per session, compliance and outcomes per patient device, FHIR hand-off.

:func:`build` reads a store (SQLite or PostgreSQL), computes the figures
(:mod:`.metrics`, pure), draws the charts (:mod:`.charts`, matplotlib) and
writes ``index.html``, ``sessions.csv`` and, on request, ``fhir-bundle.json``.
Only summaries are read: the report has no raw signal to show, and names
no one (devices and sessions by id).
"""

from __future__ import annotations

from agent.backend.report.build import ReportResult, build

__all__ = ["ReportResult", "build"]
