"""The signed manifest: what a device accepts, and the exact reason for everything it refuses."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.errors import ConfigError, UpdateRefused
from agent.runtime.updates.keys import generate, install_trusted, key_id, load_private, load_trusted, public_text
from agent.runtime.updates.manifest import Contract, describe, sign, unverified, verify
from agent.runtime.updates.probe import agent_contract, check_contract
from tests.agent.updates.conftest import signed


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    d.mkdir()
    (d / "a.onnx").write_bytes(b"x" * 10_000)
    (d / "b.json").write_text("{}")
    return d


def test_a_signed_manifest_verifies_and_lists_every_file(model_dir: Path, backend_key, keys_dir: Path):
    envelope = signed(model_dir, backend_key, 3, chunk_size=4096)
    m = verify(envelope, load_trusted(keys_dir))
    assert (m.version, [f.name for f in m.files], [f.size for f in m.files]) == (3, ["a.onnx", "b.json"], [10_000, 2])
    assert m.chunks(m.files[0]) == 3 and m.total_bytes == 10_002


def test_one_altered_byte_breaks_the_signature(model_dir: Path, backend_key, keys_dir: Path):
    outer = json.loads(signed(model_dir, backend_key, 3))
    body = bytearray(base64.b64decode(outer["manifest"]))
    body[body.index(b'"version":3')+10] = ord("9")  # version 3 -> 9
    outer["manifest"] = base64.b64encode(bytes(body)).decode()
    with pytest.raises(UpdateRefused) as err:
        verify(json.dumps(outer).encode(), load_trusted(keys_dir))
    assert err.value.reason == "signature"


def test_a_key_the_device_does_not_trust_is_refused_by_id(model_dir: Path, keys_dir: Path):
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(UpdateRefused) as err:
        verify(signed(model_dir, stranger, 3), load_trusted(keys_dir))
    assert err.value.reason == "untrusted" and key_id(stranger.public_key()) in str(err.value)
    with pytest.raises(UpdateRefused) as err:
        verify(signed(model_dir, stranger, 3), {})
    assert err.value.reason == "untrusted" and "models trust" in str(err.value)


def test_an_expired_manifest_is_refused(model_dir: Path, backend_key, keys_dir: Path):
    envelope = signed(model_dir, backend_key, 3, expires_in_s=60, now=time.time() - 120)
    with pytest.raises(UpdateRefused) as err:
        verify(envelope, load_trusted(keys_dir))
    assert (err.value.reason, err.value.version) == ("expired", 3)


def test_rotation_a_manifest_signed_by_old_and_new_key_verifies_on_devices_trusting_either(model_dir: Path, tmp_path: Path):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    envelope = sign(describe(model_dir, model_id="distress", version=4, label="x", contract=agent_contract(),
                             expires_in_s=60), [old, new])
    for i, key in enumerate((old, new)):
        pub = tmp_path / f"k{i}.pub"
        pub.write_text(public_text(key.public_key()))
        install_trusted(tmp_path / f"device{i}", [pub])
        assert verify(envelope, load_trusted(tmp_path / f"device{i}")).version == 4
    assert set(unverified(envelope).model_dump()) >= {"version", "files", "contract", "expires"}


@pytest.mark.parametrize("garbage", [b"", b"not json", b"[]", b'{"format": "x"}', b"{" * 70_000])
def test_garbage_is_malformed_not_a_crash(garbage: bytes, keys_dir: Path):
    with pytest.raises(UpdateRefused) as err:
        verify(garbage, load_trusted(keys_dir))
    assert err.value.reason == "malformed"


def test_a_contract_the_extractor_cannot_satisfy_is_refused_before_download():
    mine = agent_contract()
    check_contract(mine)
    wrong_unit = Contract(normalisation=mine.normalisation, features=(("hr_bpm", "Hz"),))
    unknown = Contract(normalisation=mine.normalisation, features=(("spo2_pct", "%"),))
    other_norm = Contract(normalisation="robust-z/2", features=())
    for contract, words in ((wrong_unit, "'Hz'"), (unknown, "spo2_pct"), (other_norm, "robust-z/2")):
        with pytest.raises(UpdateRefused) as err:
            check_contract(contract, 5)
        assert err.value.reason == "contract" and words in str(err.value)


def test_keys_generate_trust_and_private_key_mode(tmp_path: Path):
    public, kid = generate(tmp_path / "b.key")
    assert (tmp_path / "b.key").stat().st_mode & 0o777 == 0o600
    written = install_trusted(tmp_path / "trusted", [public])
    assert [p.name for p in written] == [f"{kid}.pub"] and set(load_trusted(tmp_path / "trusted")) == {kid}
    assert key_id(load_private(tmp_path / "b.key").public_key()) == kid
    (tmp_path / "b.key").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_private(tmp_path / "b.key")
    (tmp_path / "trusted" / "bad.pub").write_text("not a key")
    with pytest.raises(ConfigError, match="bad.pub"):
        load_trusted(tmp_path / "trusted")
