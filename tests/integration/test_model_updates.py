"""Signed model updates end to end: a real mosquitto, the real agent on simulated sensors, a backend publishing.

A good update installs and then decides (its version in the VR frames and the
health records); every bad one is refused or rolled back, with the old model
still deciding and a health record saying why.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.core.model.runtime import DistressModel
from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.messages import AdaptationMessage
from agent.runtime.updates.manifest import Contract, describe, sign
from agent.runtime.updates.probe import agent_contract, contract_of
from agent.runtime.updates.store import ModelStore
from tests.integration.model_update_harness import running_agent
from tests.support.model_variants import corrupt_byte, make_variant, nan_on_data
from tests.support.waiting import until

KEY = Ed25519PrivateKey.generate()
PACKAGED = DistressModel.load().version


def envelope_for(model_dir: Path, version: int, *, expires_in_s: float = 3600, contract: Contract | None = None,
                 now: float | None = None) -> bytes:
    model = DistressModel.load(model_dir)
    return sign(describe(model_dir, model_id="distress", version=version, label=model.version,
                         contract=contract or contract_of(model), expires_in_s=expires_in_s, chunk_size=1024,
                         now=time.time() if now is None else now), [KEY])


def deciding_with(agent, label: str) -> bool:
    latest = agent.analysis.latest
    return latest is not None and latest.adaptation.model == label and agent.model.version == label


async def test_a_signed_update_installs_after_shadow_and_then_decides(tmp_path: Path):
    new = make_variant(tmp_path / "new", "distress-9.9.9-test")
    async with running_agent(tmp_path, KEY) as (agent, backend):
        await until(lambda: deciding_with(agent, PACKAGED), timeout_s=30, what="the packaged model deciding")
        await backend.publish(envelope_for(new, 1), new)
        await until(lambda: agent.models.slot.mode == "shadow", timeout_s=30, what="shadow")
        await until(lambda: backend.said("installed") is not None, timeout_s=60, what="installed in health")
        assert deciding_with(agent, "distress-9.9.9-test") and agent.models.slot.active_version == 1
        events = backend.events()
        assert {"offered", "shadow-passed", "swapped", "installed"} <= set(events), events
        async with await VrLinkClient.connect_unix(agent.config.vrlink.socket_path, clock=agent.clock) as app:
            async for msg in app.messages():
                if isinstance(msg, AdaptationMessage):
                    assert msg.model == "distress-9.9.9-test"
                    break
        snapshot = agent.models.status(agent.updater)
        assert snapshot["timings_s"]["download"] >= 0 and snapshot["label"] == "distress-9.9.9-test"
    store = ModelStore(tmp_path / "state" / "models")
    assert store.resolve().version == 1 and store.state()["probation"] is None


def _tampered(envelope: bytes) -> bytes:
    outer = json.loads(envelope)
    body = json.loads(base64.b64decode(outer["manifest"]))
    body["expires"] += 86400 * 365  # a longer life than the backend signed
    outer["manifest"] = base64.b64encode(json.dumps(body).encode()).decode()
    return json.dumps(outer).encode()


def _contract_mismatch() -> Contract:
    mine = agent_contract()
    return Contract(normalisation=mine.normalisation,
                    features=tuple((n, "beats/s" if n == "hr_bpm" else u) for n, u in mine.features))


@pytest.mark.parametrize("case", ["signature", "hash", "expired", "contract", "older", "equal"])
async def test_a_bad_update_is_refused_and_the_old_model_keeps_deciding(tmp_path: Path, case: str):
    new = make_variant(tmp_path / "new", "distress-bad")
    installed = make_variant(tmp_path / "installed", "distress-5")
    preinstall = None
    version = 1
    if case in ("older", "equal"):
        version = 3 if case == "older" else 5

        def preinstall(models_dir: Path) -> None:  # the device already runs version 5 (installed by hand here)
            store = ModelStore(models_dir)
            env = envelope_for(installed, 5)
            target = store.versions / "5"
            shutil.copytree(installed, target)
            (target / "manifest.json").write_bytes(env)
            store.remember_digest(5, "other")
            store.swap(5, 0)
            store.commit(5)

    envelope = {
        "signature": lambda: _tampered(envelope_for(new, version)),
        "expired": lambda: envelope_for(new, version, expires_in_s=60, now=time.time() - 3600),
        "contract": lambda: envelope_for(new, version, contract=_contract_mismatch()),
    }.get(case, lambda: envelope_for(new, version))()
    before = "distress-5" if preinstall else PACKAGED
    async with running_agent(tmp_path, KEY, before_start=preinstall) as (agent, backend):
        await until(lambda: agent.analysis.latest is not None, timeout_s=30, what="a first decision")
        if case == "hash":
            corrupt_byte(new / "distress.onnx")  # after signing: the chunks no longer match the manifest
            await backend.publish_chunks_of(envelope, new)
        else:
            await backend.publish(envelope, new)
        reason = {"equal": "older"}.get(case, case)
        await until(lambda: backend.said(f"refused:{reason}") is not None, timeout_s=30, what=f"refused:{reason}")
        assert backend.said(f"refused:{reason}")["version"] == (None if case == "signature" else version)
        assert deciding_with(agent, before) and agent.models.slot.mode == "steady"
    assert list((tmp_path / "state" / "models" / "staging").iterdir()) == []


async def test_nan_in_shadow_is_refused_and_the_next_update_still_installs(tmp_path: Path):
    nan = make_variant(tmp_path / "nan", "distress-nan", graph=nan_on_data)
    good = make_variant(tmp_path / "good", "distress-good")
    async with running_agent(tmp_path, KEY) as (agent, backend):
        await until(lambda: deciding_with(agent, PACKAGED) and agent.analysis.latest.adaptation.confidence > 0,
                    timeout_s=30, what="the packaged model voting")
        await backend.publish(envelope_for(nan, 1), nan)
        await until(lambda: backend.said("refused:nan") is not None, timeout_s=30, what="refused:nan")
        assert "non-finite" in backend.said("refused:nan")["detail"]
        assert deciding_with(agent, PACKAGED)
        await backend.publish(envelope_for(good, 2), good)  # a broken update never blocks the next one
        await until(lambda: backend.said("installed") is not None, timeout_s=60, what="installed")
        assert deciding_with(agent, "distress-good")


@pytest.mark.parametrize("case", ["nan", "silent"])
async def test_without_shadow_a_failing_model_is_rolled_back_after_the_swap(tmp_path: Path, case: str):
    if case == "nan":
        bad = make_variant(tmp_path / "bad", "distress-bad", graph=nan_on_data)
        why = "non-finite"
    else:  # only an EEG head, and this agent has no EEG: it never votes while the old model does
        bad = make_variant(tmp_path / "bad", "distress-bad", groups=("eeg",))
        why = "no vote"
    async with running_agent(tmp_path, KEY, shadow_s=0, probation_s=30) as (agent, backend):
        await until(lambda: deciding_with(agent, PACKAGED) and agent.analysis.latest.adaptation.confidence > 0,
                    timeout_s=30, what="the packaged model voting")
        await backend.publish(envelope_for(bad, 1), bad)
        await until(lambda: backend.said("rolled-back") is not None, timeout_s=60, what="rolled-back")
        assert why in backend.said("rolled-back")["detail"]
        assert deciding_with(agent, PACKAGED) and agent.models.slot.active_version == 0
    store = ModelStore(tmp_path / "state" / "models")
    assert store.resolve() is None and store.installed_versions() == []


async def test_a_pinned_device_reports_its_pin_and_ignores_newer_manifests(tmp_path: Path):
    new = make_variant(tmp_path / "new", "distress-new")
    async with running_agent(tmp_path, KEY, extra="pin = 0") as (agent, backend):
        await backend.publish(envelope_for(new, 4), new, device=None)  # site-wide
        await until(lambda: backend.said("ignored") is not None, timeout_s=30, what="ignored")
        assert "pinned to version 0" in backend.said("ignored")["detail"]
        assert agent.models.status(agent.updater)["pin"] == 0
        await until(lambda: deciding_with(agent, PACKAGED), timeout_s=30, what="the packaged model deciding")


async def test_an_update_trained_with_other_feature_settings_installs_and_names_them(tmp_path: Path):
    def trained_with_20s_eeg(meta: dict) -> None:
        meta["feature_settings"]["eeg"]["window_s"] = 20.0

    new = make_variant(tmp_path / "new", "distress-eeg-20s", meta=trained_with_20s_eeg)
    async with running_agent(tmp_path, KEY, shadow_s=0) as (agent, backend):
        await until(lambda: deciding_with(agent, PACKAGED), timeout_s=30, what="the packaged model deciding")
        assert "settings-differ" not in backend.events()  # the packaged model was trained with these settings
        await backend.publish(envelope_for(new, 1), new)
        await until(lambda: deciding_with(agent, "distress-eeg-20s"), timeout_s=60, what="the update deciding")
        # the health record that carries it travels over MQTT, and may land after the swap
        await until(lambda: "settings-differ" in backend.events(), timeout_s=30, what="settings-differ in health")
    history = ModelStore(tmp_path / "state" / "models").state()["history"]
    said = [h for h in history if h["event"] == "settings-differ"]
    assert [(h["version"], h["detail"]) for h in said] == [(1, "[features.eeg] window_s = 4.0 here, 20.0 in training")]
