"""Typed configuration, validated once at start-up.

The file is TOML. Its path is ``--config``, else ``$EDGE_AGENT_CONFIG``,
else ``/etc/edge-agent/agent.toml``; when none of these names a file that
exists and none was asked for explicitly, the embedded default (simulated
sensors only) is used. Every problem becomes a :class:`ConfigError` whose
message names the file, the field and what is expected; the CLI turns it
into exit code 78 so systemd does not restart-loop on a bad file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from agent import config_problems as checks
from agent.base.driver import DriverPlugin, Registry
from agent.config_file import (  # the light part: also what `status` and `vr-tail` read (agent.config_file)
    DEFAULT_PATH as DEFAULT_PATH,  # re-exported
)
from agent.config_file import (
    EMBEDDED,
    AgentSection,
    _Section,
    embedded_default_text,
    read_text,
    user_runtime_dir,
    user_state_dir,
    with_socket,
)
from agent.config_file import (
    ENV_VAR as ENV_VAR,  # re-exported
)
from agent.config_file import (
    resolve_path as resolve_path,  # re-exported
)
from agent.core.baseline import BaselineOptions
from agent.core.features import FeatureConfig
from agent.core.model import ModelOptions
from agent.core.policy import PolicyOptions
from agent.errors import ConfigError, DriverUnavailable
from agent.outputs.outbox import OutboxOptions
from agent.outputs.summaries.records import Prescription
from agent.outputs.sync.options import SyncOptions
from agent.outputs.vrlink.options import VrLinkOptions
from agent.runtime.supervisor import DeviceSpec, SupervisorOptions
from agent.runtime.updates import UpdateOptions

DEVICE_KEYS = ("driver", "enabled")  # the agent's own keys in a [devices.ID] table; the rest are the driver's


class PrescriptionSection(Prescription):
    """``[prescription]``: sessions per week and minutes per session, as the health record carries them."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


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
    prescription: PrescriptionSection | None = None  # sent in every health record; the backend's report checks compliance
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
        return with_socket(self.top.vrlink, self.top.agent.runtime_dir)


def load(cli_path: Path | None, registry: Registry, *, simulate: bool = False) -> AgentConfig:
    source, text = read_text(cli_path)
    config = parse(text, source, registry)
    if simulate:
        sim = parse(embedded_default_text(), EMBEDDED, registry)
        config = AgentConfig(config.source, config.top, sim.devices)
    return config


def parse(text: str, source: str, registry: Registry) -> AgentConfig:
    """The file's contents, typed; every problem found is reported in one :class:`ConfigError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}; fix: correct the syntax at that place",
                          source=source) from None
    problems = list(checks.non_finite(raw))
    bad_fields = {p.field for p in problems}
    raw_devices = raw.get("devices", {})
    top: FileConfig | None = None
    try:
        top = FileConfig.model_validate({**raw, "devices": {}})
    except pydantic.ValidationError as exc:
        problems += [p for p in checks.from_validation(exc, FileConfig) if p.field not in bad_fields]
    if top is not None and source == EMBEDDED:
        top = top.model_copy(update={"agent": top.agent.model_copy(
            update={"state_dir": user_state_dir(), "runtime_dir": user_runtime_dir()})})
    if top is not None:
        problems += checks.path_problems(top)
        problems += _model_dir_problems(top)
    devices: list[DeviceSpec] = []
    if not isinstance(raw_devices, dict):
        problems.append(checks.Problem("devices", f"expected tables [devices.ID] (got {raw_devices!r})",
                                       "write one [devices.NAME] table per sensor"))
        raw_devices = {}
    for device_id, table in raw_devices.items():
        spec = _device(device_id, table, registry, problems, bad_fields)
        if spec is not None:
            devices.append(spec)
    checks.raise_if_any(source, problems)
    assert top is not None
    return AgentConfig(source, top.model_copy(update={"devices": raw_devices}), devices)


def _model_dir_problems(top: FileConfig) -> list[checks.Problem]:
    folder = top.model.dir
    if folder is None:
        return []
    fix = "point [model] dir at a folder of exported heads, or remove it to use the packaged model"
    if not folder.is_dir():
        return [checks.Problem("model.dir", f"{folder} is not a folder", fix)]
    if not any(folder.glob("*.onnx")):
        return [checks.Problem("model.dir", f"{folder} holds no model heads (*.onnx)", fix)]
    return []


def _device(device_id: str, table: Any, registry: Registry, problems: list[checks.Problem],
            bad_fields: set[str]) -> DeviceSpec | None:
    where = f"devices.{device_id}"
    drivers = ", ".join(registry.names())
    if not isinstance(table, dict):
        problems.append(checks.Problem(where, f"expected a table [{where}] (got {table!r})",
                                       f"write [{where}] with a driver key (one of: {drivers})"))
        return None
    driver = table.get("driver")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(checks.Problem(f"{where}.enabled", f"expected true or false, got {enabled!r}",
                                       "write enabled = true or enabled = false"))
    if not isinstance(driver, str):
        problems.append(checks.Problem(f"{where}.driver", "missing or not a string",
                                       f"set driver to one of: {drivers}"))
        return None
    if enabled is False:
        return None
    try:
        plugin: DriverPlugin = registry.plugin(driver)
    except KeyError:
        problems.append(checks.Problem(f"{where}.driver", f"unknown driver {driver!r}",
                                       f"use an installed driver: {drivers}"))
        return None
    except DriverUnavailable as exc:
        problems.append(checks.Problem(f"{where}.driver", str(exc), "install the extra named, or disable the device"))
        return None
    options = {k: v for k, v in table.items() if k not in DEVICE_KEYS}
    try:
        validated = plugin.options.model_validate(options)
    except pydantic.ValidationError as exc:
        found = checks.from_validation(exc, plugin.options, prefix=("devices", device_id))
        problems.extend(p for p in found if p.field not in bad_fields)
        return None
    problems.extend(checks.path_problems(validated, ("devices", device_id)))
    return DeviceSpec(device_id, plugin, validated)
