"""One result of the self-test: what was checked, how it went, what was measured, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: str  # "pass" | "warn" | "fail"
    figure: str = ""  # what was measured
    detail: str = ""
    fix: str = ""  # one line, when it is not a pass

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "figure": self.figure, "detail": self.detail, "fix": self.fix}
