"""constraints.txt pins what pyproject.toml allows, and the suite runs on exactly those versions.

``python -m models.train`` must reproduce the committed model, and a release of scikit-learn or
numpy may change a fit's last digits: the lock (written by ``scripts/lock``, installed by
``scripts/test``) is what makes a retraining, and this suite's figures, repeatable.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

from models.pins import CONSTRAINTS, canonical, differences, pins

SELF = "vr-edge-agent"


def requirements() -> list[Requirement]:
    project = tomllib.loads((CONSTRAINTS.parent / "pyproject.toml").read_text())["project"]
    named = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    return [r for r in map(Requirement, named) if canonical(r.name) != SELF]


def test_every_requirement_is_pinned_within_its_range() -> None:
    locked = pins()
    unpinned = sorted({r.name for r in requirements() if canonical(r.name) not in locked})
    assert not unpinned, f"not in constraints.txt: {unpinned}; run scripts/lock"
    outside = sorted(f"{r} (pinned {locked[canonical(r.name)]})" for r in requirements()
                     if not r.specifier.contains(locked[canonical(r.name)], prereleases=True))
    assert not outside, f"constraints.txt pins versions pyproject.toml does not allow: {outside}; run scripts/lock"


def test_the_suite_runs_on_the_pinned_versions() -> None:
    differ = differences()
    assert not differ, f"installed versions differ from constraints.txt: {differ}; scripts/test installs the pinned ones"


def test_a_difference_and_a_malformed_pin_are_named(tmp_path: Path) -> None:
    lock = tmp_path / "constraints.txt"
    lock.write_text("# a comment\nNumPy==0.0.1\nno-such-package-here==1.0\n")
    assert differences(lock) == ["no-such-package-here not installed (pinned 1.0)",
                                 f"numpy {np.__version__} (pinned 0.0.1)"]
    # a training installs the train extra alone: what it lacks of the dev extra's pins is not named
    assert differences(lock, installed_only=True) == [f"numpy {np.__version__} (pinned 0.0.1)"]
    assert differences(tmp_path / "absent.txt") == []  # an installed wheel has no lock beside it
    lock.write_text("numpy>=1.26\n")
    with pytest.raises(ValueError, match="'numpy>=1.26' is not name==version; run scripts/lock"):
        pins(lock)
