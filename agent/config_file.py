"""The light half of the configuration: which file, its ``[agent]`` table, and where a running agent is.

:mod:`agent.config` types the whole file, and with it imports every stage's options
(numpy comes with them). ``edge-agent status`` and ``vr-tail`` only need to find
the agent that runs with a config: its runtime directory (``status.json``) and
its VR socket. :func:`locate` reads just ``[agent]`` and ``[vrlink]``, with the
same file precedence and defaults as the agent, so those commands start in a
fraction of the time; a mistake elsewhere in the file is the agent's to report.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import pydantic

from agent import config_problems as checks
from agent.errors import ConfigError
from agent.outputs.vrlink.options import VrLinkOptions

DEFAULT_PATH = Path("/etc/edge-agent/agent.toml")
ENV_VAR = "EDGE_AGENT_CONFIG"
EMBEDDED = "<embedded default>"


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class AgentSection(_Section):
    """``[agent]``: identity of this installation and where it keeps things."""

    state_dir: Path = Path("/var/lib/edge-agent")
    runtime_dir: Path = Path("/run/edge-agent")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"

    @pydantic.field_validator("state_dir", "runtime_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        try:
            return v.expanduser()
        except RuntimeError:  # "~nobody/x": no such user, or no home directory known
            raise ValueError(f"cannot expand {str(v).split('/')[0]!r}: no such user's home is known; "
                             "write the full path") from None


def user_runtime_dir() -> Path:
    """The embedded default's sockets and status file: per user, so two users or test runs never share them."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "edge-agent"
    return Path(tempfile.gettempdir()) / f"edge-agent-{os.getuid()}"


def user_state_dir() -> Path:
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "edge-agent"
    try:
        return Path.home() / ".local/state/edge-agent"
    except RuntimeError:  # no home directory known (a bare service account)
        return Path(tempfile.gettempdir()) / f"edge-agent-{os.getuid()}-state"


def resolve_path(cli_path: Path | None) -> tuple[Path | None, bool]:
    """The file to read and whether it was asked for explicitly (None: embedded default)."""
    if cli_path is not None:
        return cli_path, True
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), True
    return (DEFAULT_PATH, False) if DEFAULT_PATH.exists() else (None, False)


def embedded_default_text() -> str:
    # from the "agent" package, not "agent.config": importing that would load every stage's options
    return resources.files("agent").joinpath("config/default.toml").read_text(encoding="utf-8")


def read_text(cli_path: Path | None) -> tuple[str, str]:
    """(source, text) of the config in force: ``--config``, ``$EDGE_AGENT_CONFIG``, the default path, or embedded."""
    path, _explicit = resolve_path(cli_path)
    if path is None:
        return EMBEDDED, embedded_default_text()
    source = str(path)
    try:
        return source, path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: config file not found; create it (edge-agent provision), "
            f"or point --config / ${ENV_VAR} at an existing file",
            source=source,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read config file: {exc}", source=source) from None


def with_socket(vrlink: VrLinkOptions, runtime_dir: Path) -> VrLinkOptions:
    """The VR link's options; its socket lives in the runtime directory unless set."""
    if "socket_path" in vrlink.model_fields_set:
        return vrlink
    return vrlink.model_copy(update={"socket_path": runtime_dir / "vr.sock"})


@dataclass(frozen=True, slots=True)
class Location:
    """Where the agent that runs with a config can be found."""

    source: str
    runtime_dir: Path
    vrlink: VrLinkOptions


def locate(cli_path: Path | None) -> Location:
    """Read ``[agent]`` and ``[vrlink]`` of the config in force; ConfigError names the file and field."""
    source, text = read_text(cli_path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}; fix: correct the syntax at that place",
                          source=source) from None
    problems: list[checks.Problem] = []
    agent, vrlink = AgentSection(), VrLinkOptions()
    for name, model in (("agent", AgentSection), ("vrlink", VrLinkOptions)):
        try:
            value = model.model_validate(raw.get(name, {}))
        except pydantic.ValidationError as exc:
            problems += checks.from_validation(exc, model, prefix=(name,))
            continue
        if name == "agent":
            agent = value  # type: ignore[assignment]
        else:
            vrlink = value  # type: ignore[assignment]
    checks.raise_if_any(source, problems)
    runtime_dir = user_runtime_dir() if source == EMBEDDED else agent.runtime_dir
    return Location(source, runtime_dir, with_socket(vrlink, runtime_dir))
