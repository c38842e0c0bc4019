"""The installed packages against ``constraints.txt``: what a training's figures were reproduced with.

A release of numpy, scipy or scikit-learn may move a fit's last digits, and with them a decision or two;
``python -m models.train`` says so before it starts rather than leave a reader puzzled by the difference.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

CONSTRAINTS = Path(__file__).resolve().parents[1] / "constraints.txt"  # beside pyproject.toml in a checkout


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it (``fhir.resources`` and ``Fhir_Resources`` are one).
    One line, written here: ``packaging``, which has it, is no requirement of the train extra."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """``name==version`` lines by canonical name; an empty dict where there is no such file (an installed
    wheel has none: it was resolved by whoever installed it)."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            if not sep or not version.strip():
                raise ValueError(f"{path}: {line!r} is not name==version; run scripts/lock to write it again")
            out[canonical(name)] = version.strip()
    return out


def differences(path: Path = CONSTRAINTS, *, installed_only: bool = False) -> list[str]:
    """Each pinned package installed at another version, or not installed at all, as one phrase.
    ``installed_only``: not the missing ones (a training needs only the train extra's, and imports them)."""
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return [f"{name} {installed.get(name, 'not installed')} (pinned {version})"
            for name, version in sorted(pins(path).items())
            if installed.get(name) != version and not (installed_only and name not in installed)]
