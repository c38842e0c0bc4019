"""How the running agent takes part in model updates: three small calls.

1. ``models = open_models(config)`` instead of ``DistressModel.load(...)``:
   the verified installed version (or the packaged model), wrapped in a
   :class:`ModelSlot` that the policy uses as its model.
2. ``SlotSwitch(models.slot)`` as the first pipeline stage: the updater's
   requests are applied there, between ticks.
3. ``models.updater(...)`` as one more supervised task, when ``[sync]``
   names a broker and ``[updates]`` is enabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from agent.base.clock import Clock
from agent.errors import ConfigError, ModelError, UpdateRefused
from agent.runtime.updates.slot import ModelSlot
from agent.runtime.updates.store import ModelStore

if TYPE_CHECKING:
    from agent.config import AgentConfig
    from agent.runtime.updates.updater import ModelUpdater

log = structlog.get_logger("edge_agent.updates")


@dataclass
class Models:
    slot: ModelSlot
    store: ModelStore | None  # None: updates are off ([model] dir set by hand, or [updates] enabled = false)
    why_off: str | None = None

    def updater(self, config: AgentConfig, clock: Clock, on_change: Callable[[], None]) -> ModelUpdater | None:
        sync = config.top.sync
        if self.store is None:
            return None
        if sync is None or not sync.enabled:
            self.why_off = "no [sync] broker to receive them from"
            return None
        from agent.runtime.updates.updater import (
            ModelUpdater,  # cryptography and the MQTT client: only when updates run
        )

        return ModelUpdater(config.top.updates, sync, self.store, self.slot, clock, on_change=on_change,
                            features=config.top.features)

    def status(self, updater: ModelUpdater | None) -> dict[str, Any]:
        if updater is not None:
            return updater.snapshot()
        return {**self.slot.status(), "state": "off", "why": self.why_off}


def installed_model(config: AgentConfig) -> tuple[Path | None, str]:
    """Read-only, for ``edge-agent check``: the directory the agent would load and how it was chosen."""
    top = config.top
    if top.model.dir is not None or not top.updates.enabled:
        return top.model.dir, str(top.model.dir or "the packaged model")
    root = top.agent.state_dir / "models"
    if not (root / "current").is_symlink():
        return None, "the packaged model (no update installed)"
    store = ModelStore(root)
    version = store.linked_version()
    try:
        return store.verify(version).directory, f"update version {version}"
    except UpdateRefused as exc:
        return None, f"the packaged model: installed version {version} is damaged ({exc}); the agent will fall back"


def open_models(config: AgentConfig) -> Models:
    """The model to start with: the active installed version if it verifies and loads, else the previous, else packaged."""
    models = _open_models(config)
    meta = getattr(models.slot.active, "meta", None)
    differ = meta.settings_differ(config.top.features) if meta is not None else []
    if differ:  # it still runs; its z-scores may not mean what it learned (edge-agent check says the same)
        log.warning("model.feature_settings_differ", model=models.slot.version, settings=differ)
    return models


def _open_models(config: AgentConfig) -> Models:
    from agent.core.model.runtime import DistressModel

    top = config.top
    policy = top.policy
    if top.model.dir is not None or not top.updates.enabled:
        why = "[model] dir is set" if top.model.dir is not None else "[updates] enabled = false"
        slot = ModelSlot(DistressModel.load(top.model.dir), 0, elevated_at=policy.elevated_at,
                         max_silent=top.updates.max_no_vote_ticks)
        return Models(slot, None, why)
    try:
        store = ModelStore(top.agent.state_dir / "models")
    except OSError as exc:
        raise ConfigError(f"cannot open the model store at {top.agent.state_dir / 'models'}: {exc.strerror}; set "
                          "[agent] state_dir to a writable place, or [updates] enabled = false",
                          field="agent.state_dir") from exc
    installed = store.resolve(top.updates.pin)
    model = None
    while installed is not None and model is None:
        try:
            model = DistressModel.load(installed.directory)
        except ModelError as exc:  # e.g. the agent was upgraded and its features changed under the model
            back = store.rollback(installed.version, f"does not load in this agent: {exc}")
            log.error("updates.unloadable", version=installed.version, error=str(exc), now=back)
            try:
                installed = store.verify(back) if back else None
            except UpdateRefused:
                installed = None
    version = installed.version if installed is not None else 0
    slot = ModelSlot(model or DistressModel.load(None), version, elevated_at=policy.elevated_at,
                     max_silent=top.updates.max_no_vote_ticks)
    probation = store.state().get("probation")
    if probation and installed is not None and probation.get("version") == version:
        previous = int(probation.get("previous", 0))
        fallback = DistressModel.load(store.versions / str(previous) if previous else None)
        slot.resume_probation(fallback, previous)
    return Models(slot, store)
