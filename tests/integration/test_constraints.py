"""constraints.txt pins what pyproject.toml allows, and the suite runs on exactly those versions.

``python -m models.train`` must reproduce the committed model, and a release of scikit-learn or
numpy may change a fit's last digits: the lock (written by ``scripts/lock``, installed by
``scripts/test``) is what makes a retraining, and this suite's figures, repeatable.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
SELF = "vr-edge-agent"


def pins() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version.strip(), f"constraints.txt: {line!r} is not name==version"
            out[canonicalize_name(name)] = version.strip()
    return out


def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    named = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    return [r for r in map(Requirement, named) if canonicalize_name(r.name) != SELF]


def test_every_requirement_is_pinned_within_its_range() -> None:
    locked = pins()
    unpinned = sorted({r.name for r in requirements() if canonicalize_name(r.name) not in locked})
    assert not unpinned, f"not in constraints.txt: {unpinned}; run scripts/lock"
    outside = sorted(f"{r} (pinned {locked[canonicalize_name(r.name)]})" for r in requirements()
                     if not r.specifier.contains(locked[canonicalize_name(r.name)], prereleases=True))
    assert not outside, f"constraints.txt pins versions pyproject.toml does not allow: {outside}; run scripts/lock"


def test_the_suite_runs_on_the_pinned_versions() -> None:
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = sorted(f"{name} {installed[name]} (pinned {version})" for name, version in pins().items()
                    if name in installed and installed[name] != version)
    missing = sorted(name for name in pins() if name not in installed)
    assert not differ and not missing, (
        f"installed versions differ from constraints.txt: {differ}; not installed: {missing}. "
        "scripts/test installs the pinned ones")
