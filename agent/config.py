"""Typed configuration, validated once at start-up.

The file is TOML. Its path is ``--config``, else ``$EDGE_AGENT_CONFIG``,
else ``/etc/edge-agent/agent.toml``; when none of these names a file that
exists and none was asked for explicitly, the embedded default (simulated
sensors only) is used. Every problem becomes a :class:`ConfigError` whose
message names the file, the field and what is expected; the CLI turns it
into exit code 78 so systemd does not restart-loop on a bad file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pydantic

from agent.baseline import BaselineOptions
from agent.driver import DriverPlugin, Registry
from agent.errors import ConfigError, DriverUnavailable
from agent.features import FeatureConfig
from agent.model import ModelOptions
from agent.outbox import OutboxOptions
from agent.policy import PolicyOptions
from agent.supervisor import DeviceSpec, SupervisorOptions
from agent.updates import UpdateOptions
from agent.sync.options import SyncOptions
from agent.vrlink.options import VrLinkOptions

DEFAULT_PATH = Path("/etc/edge-agent/agent.toml")
ENV_VAR = "EDGE_AGENT_CONFIG"
EMBEDDED = "<embedded default>"
DEVICE_KEYS = ("driver", "enabled")  # the agent's own keys in a [devices.ID] table; the rest are the driver's


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
        return v.expanduser()


class FileConfig(_Section):
    """The file's top level; devices are checked against their driver's options after this."""

    agent: AgentSection = AgentSection()
    supervisor: SupervisorOptions = SupervisorOptions()
    features: FeatureConfig = FeatureConfig()
    baseline: BaselineOptions = BaselineOptions()
    model: ModelOptions = ModelOptions()
    policy: PolicyOptions = PolicyOptions()
    vrlink: VrLinkOptions = VrLinkOptions()
    outbox: OutboxOptions = OutboxOptions()
    sync: SyncOptions | None = None  # no [sync]: summaries wait in the outbox
    updates: UpdateOptions = UpdateOptions()  # signed model updates over the [sync] broker
    devices: dict[str, dict[str, Any]] = pydantic.Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    source: str
    top: FileConfig
    devices: list[DeviceSpec]

    @property
    def agent(self) -> AgentSection:
        return self.top.agent

    @property
    def supervisor(self) -> SupervisorOptions:
        return self.top.supervisor

    @property
    def baseline_profile(self) -> Path:
        return self.top.baseline.profile or self.top.agent.state_dir / "baseline.json"

    @property
    def vrlink(self) -> VrLinkOptions:
        """The VR link's options; its socket lives in the runtime directory unless set."""
        v = self.top.vrlink
        if "socket_path" in v.model_fields_set:
            return v
        return v.model_copy(update={"socket_path": self.top.agent.runtime_dir / "vr.sock"})


def resolve_path(cli_path: Path | None) -> tuple[Path | None, bool]:
    """The file to read and whether it was asked for explicitly (None: embedded default)."""
    if cli_path is not None:
        return cli_path, True
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), True
    return (DEFAULT_PATH, False) if DEFAULT_PATH.exists() else (None, False)


def embedded_default_text() -> str:
    return resources.files("agent").joinpath("default.toml").read_text(encoding="utf-8")


def load(cli_path: Path | None, registry: Registry, *, simulate: bool = False) -> AgentConfig:
    path, _explicit = resolve_path(cli_path)
    if path is None:
        source, text = EMBEDDED, embedded_default_text()
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{source}: config file not found; create it (edge-agent provision), "
                f"or point --config / ${ENV_VAR} at an existing file",
                source=source,
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read config file: {exc}", source=source) from None
    config = parse(text, source, registry)
    if simulate:
        sim = parse(embedded_default_text(), EMBEDDED, registry)
        config = AgentConfig(config.source, config.top, sim.devices)
    return config


def parse(text: str, source: str, registry: Registry) -> AgentConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}", source=source) from None
    try:
        top = FileConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise _config_error(source, exc, FileConfig, prefix=()) from None
    devices = [_device(source, device_id, table, registry) for device_id, table in top.devices.items()]
    return AgentConfig(source, top, [d for d in devices if d is not None])


def _device(source: str, device_id: str, table: dict[str, Any], registry: Registry) -> DeviceSpec | None:
    where = f"devices.{device_id}"
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {where}: expected a table [{where}] with a driver key", source=source, field=where)
    driver = table.get("driver")
    if not isinstance(driver, str):
        raise ConfigError(
            f"{source}: {where}.driver: missing or not a string; expected one of: {', '.join(registry.names())}",
            source=source,
            field=f"{where}.driver",
        )
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{source}: {where}.enabled: expected true or false, got {enabled!r}", source=source, field=f"{where}.enabled")
    if not enabled:
        return None
    try:
        plugin: DriverPlugin = registry.plugin(driver)
    except KeyError:
        raise ConfigError(
            f"{source}: {where}.driver: unknown driver {driver!r}; installed drivers: {', '.join(registry.names())}",
            source=source,
            field=f"{where}.driver",
        ) from None
    except DriverUnavailable as exc:
        raise ConfigError(f"{source}: {where}.driver: {exc}", source=source, field=f"{where}.driver") from None
    options = {k: v for k, v in table.items() if k not in DEVICE_KEYS}
    try:
        validated = plugin.options.model_validate(options)
    except pydantic.ValidationError as exc:
        raise _config_error(source, exc, plugin.options, prefix=("devices", device_id)) from None
    return DeviceSpec(device_id, plugin, validated)


def _config_error(
    source: str, exc: pydantic.ValidationError, model: type[pydantic.BaseModel], prefix: tuple[str, ...]
) -> ConfigError:
    lines = []
    first_field = None
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in (*prefix, *err["loc"])) or "(top level)"
        first_field = first_field or field
        if err["type"] == "extra_forbidden":
            keys = _keys_at(model, err["loc"][:-1])
            valid = f" (valid keys here: {', '.join(keys)})" if keys else ""
            lines.append(f"{source}: {field}: unknown key; remove it or correct its spelling{valid}")
        elif err["type"] == "missing":
            lines.append(f"{source}: {field}: required but missing")
        else:
            msg = err["msg"].replace("a valid dictionary", "a TOML table").replace("a valid list", "a TOML array")
            lines.append(f"{source}: {field}: {msg} (got {err['input']!r})")
    return ConfigError("\n".join(lines), source=source, field=first_field)


def _keys_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at ``loc``, for an 'unknown key' message."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        ann = field.annotation if field is not None else None
        if not (isinstance(ann, type) and issubclass(ann, pydantic.BaseModel)):
            return []
        current = ann
    return list(current.model_fields)
