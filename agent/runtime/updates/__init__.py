"""Signed model updates over MQTT, installed like a careful operator would.

::

    backend: edge-agent models sign    ─▶ signed manifest (Ed25519; the private key stays on the backend)
             edge-agent models publish ─▶ retained manifest  v1/{site}/{device}/cmd/model  (or v1/{site}/_site/cmd/model)
                                          retained chunks    v1/_models/{model_id}/{version}/{file}/{chunk}
    headset: ModelUpdater (updater.py) ─▶ verify signature, version, expiry, contract  (manifest.py, keys.py)
                                       ─▶ fetch missing chunks, resumable, bounded disk (fetch.py, store.py)
                                       ─▶ verify every hash, test-load + probe           (probe.py)
                                       ─▶ shadow beside the current model, compare       (slot.py)
                                       ─▶ swap at a tick boundary (os.replace of a link) (slot.py, store.py)
                                       ─▶ probation; roll back on errors / NaN / no votes

The running agent holds a :class:`~agent.runtime.updates.slot.ModelSlot` as its
policy's model and applies the updater's requests between ticks. This
package module stays light: configuration loads :class:`UpdateOptions`
without paying for onnxruntime or cryptography.
"""

from __future__ import annotations

from pathlib import Path

import pydantic

DEFAULT_KEYS_DIR = Path("/etc/edge-agent/model-keys")


class UpdateOptions(pydantic.BaseModel):
    """``[updates]``: whether and how this device takes model updates (needs ``[sync]`` for the broker)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    trusted_keys_dir: Path = pydantic.Field(DEFAULT_KEYS_DIR, description="Ed25519 public keys (*.pub), one per file")
    pin: int | None = pydantic.Field(None, ge=0, description="keep this version (0: the packaged model); ignore others")
    model_id: str = pydantic.Field("distress", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    shadow_s: float = pydantic.Field(300.0, ge=0, description="run a new model beside the current one this long (0: no shadow)")
    shadow_min_ticks: int = pydantic.Field(40, ge=0, description="and for at least this many compared inferences")
    min_agreement: float = pydantic.Field(0.0, ge=0, le=1, description="refuse below this share of agreeing decisions")
    probation_s: float = pydantic.Field(120.0, ge=0, description="after the swap, roll back on any failure within this")
    max_no_vote_ticks: int = pydantic.Field(40, ge=1, description="ticks the new model may stay silent while the old votes")
    max_model_bytes: int = pydantic.Field(64 << 20, ge=1, description="refuse manifests whose files add up to more")
    chunks_in_flight: int = pydantic.Field(8, ge=1, le=256, description="chunk subscriptions open at once")

    @pydantic.field_validator("trusted_keys_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()
