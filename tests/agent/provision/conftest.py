"""A real mosquitto with a throwaway PKI, and a temporary root that already holds an installation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mqtt_broker import Broker, Pki

ORIGINAL = """# the installation as it was before this test
[agent]
state_dir = "/var/lib/edge-agent"

[supervisor]
stall_floor_s = 4.0

[devices.old-strap]
driver = "sim-chest-strap"
"""


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def broker(tmp_path: Path, pki: Pki) -> Iterator[Broker]:
    b = Broker(tmp_path / "broker", pki)
    asyncio.run(b.start())
    try:
        yield b
    finally:
        asyncio.run(b.stop())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with a config and credentials already in place: failures must leave them alone."""
    r = tmp_path / "root"
    etc = r / "etc/edge-agent"
    (etc / "credentials").mkdir(parents=True)
    (etc / "agent.toml").write_text(ORIGINAL)
    (etc / "credentials/ca.crt").write_text("the old CA\n")
    return r


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every path under root with its bytes and mode: what "untouched" means."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None, p.stat().st_mode)
            for p in sorted(root.rglob("*"))}
