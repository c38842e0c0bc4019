"""What the service loop and the status file read of the running agent (``agent.app.Agent``).

A protocol rather than the class: ``agent.app`` builds the agent from these parts and
imports the modules that read it, so they name only what they read. Read only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agent.base.clock import Clock
    from agent.base.queues import BoundedQueue
    from agent.config import AgentConfig
    from agent.core.policy import AdaptationPolicy
    from agent.outputs.outbox import AsyncOutbox
    from agent.outputs.sync.worker import SyncWorker
    from agent.outputs.vrlink.server import VrLinkServer
    from agent.runtime.analysis import Analysis
    from agent.runtime.pipeline import Pipeline
    from agent.runtime.supervisor import Supervisor
    from agent.runtime.updates.hook import Models
    from agent.runtime.updates.updater import ModelUpdater


class RunningAgent(Protocol):
    config: AgentConfig
    clock: Clock
    started_at: float  # agent-clock time
    readings: BoundedQueue  # type: ignore[type-arg]  # what the pipeline has yet to consume
    supervisor: Supervisor
    pipeline: Pipeline
    analysis: Analysis
    policy: AdaptationPolicy
    models: Models
    updater: ModelUpdater | None
    vrlink: VrLinkServer | None
    outbox: AsyncOutbox | None
    sync: SyncWorker | None
