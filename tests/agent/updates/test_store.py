"""The on-disk store: resumable partial files, hash checks, the atomic link, probation, rollback, pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.errors import UpdateRefused
from agent.runtime.updates.manifest import unverified
from agent.runtime.updates.store import MAX_PROBATION_BOOTS, ModelStore, Partial
from tests.agent.updates.conftest import signed


def model(tmp_path: Path, name: str, size: int = 10_000) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "head.onnx").write_bytes(os.urandom(size))
    (d / "card.md").write_text(name)
    return d


def install(store: ModelStore, src: Path, envelope: bytes, *, corrupt: bool = False):
    manifest = unverified(envelope)
    staging = store.staging(manifest, envelope)
    for entry in manifest.files:
        part = Partial(staging, entry, manifest.chunk_size)
        data = (src / entry.name).read_bytes()
        if corrupt:
            data = data[:-1] + bytes([data[-1] ^ 1])
        for i in part.missing():
            part.write(i, data[i * manifest.chunk_size:(i + 1) * manifest.chunk_size])
    return store.finish(manifest, staging)


def test_a_partial_download_resumes_from_its_have_file_and_ignores_a_torn_line(tmp_path: Path, backend_key):
    src = model(tmp_path, "m", 10_000)
    envelope = signed(src, backend_key, 1, chunk_size=4096)
    store = ModelStore(tmp_path / "models")
    manifest = unverified(envelope)
    staging = store.staging(manifest, envelope)
    entry = next(f for f in manifest.files if f.name == "head.onnx")
    part = Partial(staging, entry, 4096)
    data = (src / "head.onnx").read_bytes()
    part.write(2, data[8192:])
    with (staging / "head.onnx.have").open("a") as f:
        f.write("0")  # killed half-way through listing chunk 0: it counts as missing
    again = Partial(store.staging(manifest, envelope), entry, 4096)
    assert again.have == {2} and list(again.missing()) == [0, 1]
    with pytest.raises(UpdateRefused, match="chunk 1"):
        again.write(1, b"short")


def test_a_hash_mismatch_is_refused_and_the_staging_removed(tmp_path: Path, backend_key):
    src = model(tmp_path, "m")
    store = ModelStore(tmp_path / "models")
    with pytest.raises(UpdateRefused) as err:
        install(store, src, signed(src, backend_key, 1), corrupt=True)
    assert err.value.reason == "hash" and list(store.staging_root.iterdir()) == []
    assert store.installed_versions() == [] and store.resolve() is None


def test_swap_commit_and_pruning_keep_the_active_and_the_previous_version(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    for v in (1, 2, 3):
        src = model(tmp_path, f"m{v}")
        installed = install(store, src, signed(src, backend_key, v))
        store.swap(v, v - 1)
        assert store.resolve().version == v  # on probation, but active
        store.commit(v)
        assert installed.directory == store.versions / str(v)
    assert store.installed_versions() == [2, 3] and store.resolve().version == 3
    assert os.readlink(store.current) == "versions/3"


def test_rollback_returns_to_the_previous_version_and_refuses_the_bad_one(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    a, b = model(tmp_path, "a"), model(tmp_path, "b")
    install(store, a, signed(a, backend_key, 1))
    store.swap(1, 0)
    store.commit(1)
    env2 = signed(b, backend_key, 2)
    install(store, b, env2)
    store.remember_digest(2, "d2")
    store.swap(2, 1)
    assert store.rollback(2, "NaN") == 1
    assert store.resolve().version == 1 and store.installed_versions() == [1]
    assert store.refused_digest("d2") == "rolled-back"
    assert [h["event"] for h in store.state()["history"]][-2:] == ["swapped", "rolled-back"]


def test_a_version_that_keeps_crashing_the_agent_in_probation_is_rolled_back_at_start(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    src = model(tmp_path, "m")
    install(store, src, signed(src, backend_key, 1))
    store.swap(1, 0)
    for _ in range(MAX_PROBATION_BOOTS):
        assert store.resolve().version == 1
    assert store.resolve() is None  # the packaged model again
    assert store.state()["history"][-1]["event"] == "rolled-back"


def test_a_crash_between_state_and_link_is_repaired_and_a_corrupt_active_version_falls_back(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    a, b = model(tmp_path, "a"), model(tmp_path, "b")
    install(store, a, signed(a, backend_key, 1))
    store.swap(1, 0)
    store.commit(1)
    install(store, b, signed(b, backend_key, 2))
    state = store.state()
    state["probation"] = {"version": 2, "previous": 1, "boots": 0}
    store._save(state)  # the state says "swapping to 2", the link was never replaced
    assert store.resolve().version == 1 and store.state()["probation"] is None
    store.swap(2, 1)
    store.commit(2)
    (store.versions / "2" / "head.onnx").write_bytes(b"flipped")
    assert store.resolve().version == 1 and os.readlink(store.current) == "versions/1"
    assert any(h["event"] == "corrupt" for h in store.state()["history"])


def test_pinning_activates_an_installed_version_or_the_packaged_model(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    for v in (1, 2):
        src = model(tmp_path, f"m{v}")
        install(store, src, signed(src, backend_key, v))
        store.swap(v, v - 1)
        store.commit(v)
    assert store.resolve(pin=1).version == 1
    assert store.resolve(pin=0) is None and not store.current.exists()
    assert store.resolve(pin=7) is None  # not here yet: keep what runs


def test_the_self_test_looks_at_the_installed_version_without_touching_the_store(tmp_path: Path, backend_key):
    from agent.base.driver import Registry
    from agent.config import parse
    from agent.runtime.updates.hook import installed_model

    config = parse(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n', "test", Registry())
    assert installed_model(config) == (None, "the packaged model (no update installed)")
    assert not (tmp_path / "state").exists()  # read-only: nothing created
    store = ModelStore(tmp_path / "state" / "models")
    src = model(tmp_path, "m")
    install(store, src, signed(src, backend_key, 4))
    store.swap(4, 0)
    before = store.state()
    assert installed_model(config) == (store.versions / "4", "update version 4")
    assert store.state() == before  # no probation boot counted by a look
    (store.versions / "4" / "head.onnx").write_bytes(b"damaged")
    directory, where = installed_model(config)
    assert directory is None and "damaged" in where


def test_a_finish_killed_between_rename_and_cleanup_does_not_trust_a_stale_have_file(tmp_path: Path, backend_key):
    src = model(tmp_path, "m", 10_000)
    envelope = signed(src, backend_key, 1, chunk_size=4096)
    store = ModelStore(tmp_path / "models")
    manifest = unverified(envelope)
    staging = store.staging(manifest, envelope)
    entry = next(f for f in manifest.files if f.name == "head.onnx")
    part = Partial(staging, entry, 4096)
    data = (src / "head.onnx").read_bytes()
    for i in range(part.count):
        part.write(i, data[i * 4096:(i + 1) * 4096])
    part.part.rename(staging / "head.onnx")  # finish() renamed it, then was killed before removing .have
    again = Partial(store.staging(manifest, envelope), entry, 4096)
    assert again.have == set() and list(again.missing()) == [0, 1, 2]  # fetched again, not an empty file "done"
    for i in again.missing():
        again.write(i, data[i * 4096:(i + 1) * 4096])
    other = next(f for f in manifest.files if f.name != "head.onnx")
    card = Partial(staging, other, 4096)
    card.write(0, (src / other.name).read_bytes())
    assert store.finish(manifest, staging).version == 1


def test_start_up_prunes_a_version_a_killed_rollback_left_half_removed(tmp_path: Path, backend_key):
    store = ModelStore(tmp_path / "models")
    for v in (1, 2):
        src = model(tmp_path, f"m{v}")
        install(store, src, signed(src, backend_key, v))
        store.swap(v, v - 1)
        store.commit(v)
    src = model(tmp_path, "m3")
    install(store, src, signed(src, backend_key, 3))
    store.remember_digest(3, "d3")
    store.swap(3, 2)
    store.rollback(3, "NaN")
    (store.versions / "3").mkdir()  # the remains of the rollback's rmtree, killed half-way
    (store.versions / "3" / "head.onnx").write_bytes(b"half")
    assert store.resolve().version == 2
    assert store.installed_versions() == [1, 2]
