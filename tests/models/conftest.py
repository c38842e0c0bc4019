"""Training subjects made as ``models.train`` makes them, from the first EEGMAT recordings."""

from __future__ import annotations

import pytest

from models.datasets import EEGMAT
from models.extract import extract
from models.loso import config_for, deployed, table_ticks
from models.subjects import Subject


@pytest.fixture(scope="module")
def eegmat() -> list[Subject]:
    """The first four EEGMAT subjects: features through the core, the deployed calibration, training ticks."""
    config = config_for()
    out = []
    for subject, path in EEGMAT.recordings()[:4]:
        table = extract(path, subject, EEGMAT.streams)
        d = deployed(table_ticks(table, config.top.features.min_quality), config)
        y, scored = EEGMAT.target(table.label)
        out.append(Subject("eegmat", subject, table, d.z, d.usable, y, d.calibrated & scored))
    return out
