"""Fixtures for the model-update tests: signing keys, a device's trusted-keys folder, signed manifests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.runtime.updates.keys import install_trusted, public_text
from agent.runtime.updates.manifest import describe, sign
from agent.runtime.updates.probe import agent_contract


@pytest.fixture(scope="session")
def backend_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keys_dir(tmp_path: Path, backend_key: Ed25519PrivateKey) -> Path:
    pub = tmp_path / "backend.pub"
    pub.write_text(public_text(backend_key.public_key()))
    install_trusted(tmp_path / "model-keys", [pub])
    return tmp_path / "model-keys"


def signed(model_dir: Path, key: Ed25519PrivateKey, version: int, *, label: str = "test", expires_in_s: float = 3600,
           chunk_size: int = 4096, contract=None, now: float | None = None) -> bytes:
    manifest = describe(model_dir, model_id="distress", version=version, label=label,
                        contract=contract or agent_contract(), expires_in_s=expires_in_s, chunk_size=chunk_size,
                        now=time.time() if now is None else now)
    return sign(manifest, [key])
