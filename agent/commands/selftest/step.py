"""What every check shares: the :class:`Context` it runs in and the :class:`Step` results it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agent.base.clock import Clock
from agent.config import AgentConfig


@dataclass
class Context:
    config: AgentConfig
    seconds: float = 5.0
    min_free_mb: float = 500.0
    broker_timeout_s: float = 10.0
    clock: Clock = field(default_factory=Clock)
    progress: Callable[[str], None] = lambda _: None
    # each sensor that streamed without failing, and the sensor groups it feeds (filled by the sensors' check)
    feeds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    model_groups: tuple[str, ...] | None = None  # the sensor groups the installed model reads, once the model's check loaded it


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: str  # "pass" | "warn" | "fail"
    figure: str = ""  # what was measured
    detail: str = ""
    fix: str = ""  # one line, when it is not a pass
    feeds: tuple[str, ...] = ()  # a sensor's step: the sensor groups its streams feed (GROUPS)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "status": self.status, "figure": self.figure, "detail": self.detail, "fix": self.fix,
                "feeds": list(self.feeds)}


Check = Callable[[Context], Awaitable[list[Step]]]
