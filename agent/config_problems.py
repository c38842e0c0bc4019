"""Every problem in a config file, collected rather than raised one at a time.

A technician fixing a file should see all of its problems in one message,
each naming the file, the field and what to do, so :mod:`agent.config`
gathers :class:`Problem` objects from every check (TOML numbers that are
not finite, the pydantic models, each device's driver options, paths the
operating system would refuse) and raises one :class:`ConfigError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pydantic

from agent.errors import ConfigError

NAME_MAX = 255  # bytes in one path component on every filesystem the agent is installed on
PATH_MAX = 4095


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    fix: str

    def line(self, source: str) -> str:
        return f"{source}: {self.field}: {self.message}; fix: {self.fix}"


def raise_if_any(source: str, problems: list[Problem]) -> None:
    if not problems:
        return
    unique = list(dict.fromkeys(problems))
    head = f"{len(unique)} problems in {source}:\n" if len(unique) > 1 else ""
    raise ConfigError(head + "\n".join(p.line(source) for p in unique), source=source, field=unique[0].field)


def non_finite(raw: Any, prefix: tuple[str, ...] = ()) -> Iterator[Problem]:
    """TOML allows ``inf``, ``nan`` and ``1e309``; no setting of the agent means any of them."""
    if isinstance(raw, dict):
        for k, v in raw.items():
            yield from non_finite(v, (*prefix, str(k)))
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            yield from non_finite(v, (*prefix, str(i)))
    elif isinstance(raw, float) and not math.isfinite(raw):
        yield Problem(".".join(prefix), f"not a finite number (got {raw!r})",
                      "write an ordinary number; inf, nan and values beyond ±1.8e308 are refused")


def from_validation(exc: pydantic.ValidationError, model: type[pydantic.BaseModel],
                    prefix: tuple[str, ...] = ()) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in (*prefix, *err["loc"])) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            keys = keys_at(model, err["loc"][:-1])
            valid = f" (valid keys here: {', '.join(keys)})" if keys else ""
            yield Problem(field, f"unknown key{valid}", "remove it or correct its spelling")
        elif kind == "missing":
            yield Problem(field, "required but missing", "add it")
        else:
            msg = err["msg"].replace("a valid dictionary", "a TOML table").replace("a valid list", "a TOML array")
            msg = msg.removeprefix("Value error, ")
            yield Problem(field, f"{msg} (got {err['input']!r})", _fix_for(kind, err))


def _fix_for(kind: str, err: Any) -> str:
    ctx = err.get("ctx") or {}
    bounds = {"greater_than": "a number above {gt}", "greater_than_equal": "a number of at least {ge}",
              "less_than": "a number below {lt}", "less_than_equal": "a number of at most {le}"}
    if kind in bounds:
        return "set it to " + bounds[kind].format(**ctx)
    if kind in ("literal_error", "enum"):
        return f"use one of {ctx.get('expected', 'the listed values')}"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return "write a value of the type named (see docs/configuration.md)"
    return "correct the value (see docs/configuration.md)"


def keys_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at ``loc``, for an 'unknown key' message."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        ann = field.annotation if field is not None else None
        if not (isinstance(ann, type) and issubclass(ann, pydantic.BaseModel)):
            return []
        current = ann
    return list(current.model_fields)


def path_problems(model: pydantic.BaseModel, prefix: tuple[str, ...] = ()) -> Iterator[Problem]:
    """Paths the operating system would refuse, found now rather than when the agent first opens them."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = (*prefix, name)
        if isinstance(value, pydantic.BaseModel):
            yield from path_problems(value, where)
        elif isinstance(value, PurePath):
            problem = path_problem(value)
            if problem:
                yield Problem(".".join(where), problem, "use a shorter path")


def path_problem(path: PurePath) -> str | None:
    text = os.fsencode(str(path))
    if len(text) > PATH_MAX:
        return f"path is {len(text)} bytes long; the limit is {PATH_MAX}"
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            return f"a path component is {len(os.fsencode(part))} bytes long ({part[:20]}…); the limit is {NAME_MAX}"
    return None
