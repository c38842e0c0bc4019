"""What a technician asks ``edge-agent provision`` for: typed, from a file and/or flags.

A provisioning file (``--from FILE``) is TOML; relative paths in it are
relative to the file, so a USB stick with the file and its certificates
works from anywhere::

    site = "clinic-a"
    device = "headset-1"

    [broker]
    host = "mqtt.example.org"
    port = 8883
    ca_file = "ca.crt"
    cert_file = "headset-1.crt"
    key_file = "headset-1.key"
    # username = "edge"; password_file = "password"   (password authentication instead of, or with, TLS)

    [agent]                      # optional: where the agent keeps its state and sockets
    state_dir = "/var/lib/edge-agent"

    [prescription]               # optional: what the report measures compliance against
    sessions_per_week = 3
    minutes_per_session = 20

    [sensors.chest-strap]        # one table per sensor: driver plus its own options
    driver = "ble-heart-rate"
    address = "A0:9E:1A:12:34:56"

Flags override the file, one field at a time.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pydantic

from agent.config import PrescriptionSection
from agent.errors import ConfigError
from agent.outputs.sync.options import TopicId


class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class BrokerRequest(_Model):
    host: str | None = None
    port: int = pydantic.Field(8883, ge=1, le=65535)
    username: str | None = None
    password_file: Path | None = None  # the source: copied into credentials/ with mode 0600
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None


class AgentRequest(_Model):
    state_dir: Path | None = None
    runtime_dir: Path | None = None
    log_level: str | None = None


class ProvisionRequest(_Model):
    site: TopicId | None = None
    device: TopicId | None = None
    broker: BrokerRequest = BrokerRequest()
    agent: AgentRequest = AgentRequest()
    sensors: dict[str, dict[str, Any]] = pydantic.Field(default_factory=dict)
    sync: bool = True  # False: no [sync]; summaries wait in the outbox
    prescription: PrescriptionSection | None = None


def _resolve(base: Path, value: Any) -> Any:
    return str((base / Path(value).expanduser()).resolve()) if isinstance(value, str) else value


def load_file(path: Path) -> dict[str, Any]:
    """The provisioning file as raw data, its relative paths made absolute."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: provisioning file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the provisioning file: {exc}", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", source=str(path)) from None
    base = path.resolve().parent
    broker = raw.get("broker")
    if isinstance(broker, dict):
        for key in ("password_file", "ca_file", "cert_file", "key_file"):
            if key in broker:
                broker[key] = _resolve(base, broker[key])
    return raw


def merge(file_data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Flags over the file: nested tables merge key by key; None means "not given"."""
    out = dict(file_data)
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if v is not None}
        else:
            out[key] = value
    return out


def build(data: dict[str, Any], source: str) -> ProvisionRequest:
    try:
        return ProvisionRequest.model_validate(data)
    except pydantic.ValidationError as exc:
        lines = []
        first = None
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            first = first or where
            if err["type"] == "extra_forbidden":
                lines.append(f"{source}: {where}: unknown key; remove it or correct its spelling")
            else:
                lines.append(f"{source}: {where}: {err['msg']} (got {err['input']!r})")
        raise ConfigError("\n".join(lines), source=source, field=first) from None
