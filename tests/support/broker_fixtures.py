"""A throwaway PKI and a real mosquitto with password, TLS and client-certificate listeners, as async fixtures.

Imported by the conftests that need them (the sync tests, the backend's): one definition, not one per folder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.mqtt_broker import Broker, Pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def broker(tmp_path: Path, pki: Pki) -> AsyncIterator[Broker]:
    b = Broker(tmp_path / "broker", pki)
    await b.start()
    try:
        yield b
    finally:
        await b.stop()
