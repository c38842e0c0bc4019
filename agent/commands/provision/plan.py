"""Provisioning as one transaction: check everything, then write everything.

1. the request: identity, broker, TLS files (key matches, chains to the CA), sensors
   (driver installed, options valid as the agent will check them);
2. credentials staged (0600) and the new config validated by ``agent.config`` itself,
   pointing at the staged files;
3. the broker reached with exactly those credentials (unless offline);
4. only then: credentials swapped in, the config replaced atomically (the old one kept),
   rfcomm bindings written.

Any problem before step 4 leaves the installation byte for byte as it was.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import config as agent_config
from agent.base.driver import Registry
from agent.commands.protection import static_warnings
from agent.commands.provision import sensors as pairing
from agent.commands.provision.checks import Problem, check_tls_files, probe_broker
from agent.commands.provision.files import Layout, Owner, Staging, service_owner, write_config, write_rfcomm
from agent.commands.provision.request import ProvisionRequest
from agent.commands.provision.toml_writer import dumps
from agent.errors import EX_CONFIG, EX_UNAVAILABLE, AgentError, ConfigError, SyncError
from agent.outputs.sync.mqtt import SyncAuthError

Progress = Callable[[str], None]


class ProvisionFailed(AgentError):
    """What was given cannot be provisioned; ``problems`` say what and how to fix it, ``exit_code`` is 78 or 69."""

    def __init__(self, problems: list[Problem], exit_code: int = EX_CONFIG, *, note: str = "") -> None:
        lines = ["nothing was written; fix these and run it again:"]
        lines += [f"  {p.field}: {p.message}\n      fix: {p.fix}" for p in problems]
        super().__init__("\n".join(lines) + note)
        self.problems = problems
        self.exit_code = exit_code  # read by agent.commands.cli.exits


@dataclass
class Outcome:
    config: Path
    previous: Path | None
    owner: Owner
    credentials: list[Path] = field(default_factory=list)
    rfcomm: list[Path] = field(default_factory=list)
    broker_s: float | None = None
    warnings: list[str] = field(default_factory=list)


def existing_tables(layout: Layout, progress: Progress) -> dict[str, Any]:
    """The current config's tables, so re-provisioning keeps tuning it does not touch ([policy], [vrlink] ...)."""
    if not layout.config.exists():
        return {}
    try:
        return tomllib.loads(layout.config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        progress(f"warning: the current {layout.config} cannot be read ({exc}); starting from defaults")
        return {}


def _sync_table(req: ProvisionRequest, creds: dict[str, Path]) -> dict[str, Any]:
    b = req.broker
    broker: dict[str, Any] = {"host": b.host, "port": b.port}
    if b.username:
        broker["username"] = b.username
    if "password" in creds:
        broker["password_file"] = str(creds["password"])
    if "ca" in creds:
        tls: dict[str, Any] = {"ca_file": str(creds["ca"])}
        if "cert" in creds:
            tls.update(cert_file=str(creds["cert"]), key_file=str(creds["key"]))
        if b.server_name:
            tls["server_name"] = b.server_name
        broker["tls"] = tls
    return {"site": req.site, "device": req.device, "broker": broker}


def render(base: dict[str, Any], req: ProvisionRequest, devices: dict[str, dict[str, Any]],
           creds: dict[str, Path], keep_sync: bool) -> str:
    cfg: dict[str, Any] = {}
    agent_table = dict(base.get("agent", {}))
    agent_table.update({k: str(v) if isinstance(v, Path) else v
                        for k, v in req.agent.model_dump().items() if v is not None})
    if agent_table:
        cfg["agent"] = agent_table
    cfg.update({k: v for k, v in base.items() if k not in ("agent", "sync", "devices")})
    if keep_sync:
        cfg["sync"] = base["sync"]
    elif req.sync:
        cfg["sync"] = _sync_table(req, creds)
    if req.prescription is not None:
        cfg["prescription"] = req.prescription.model_dump()
    cfg["devices"] = devices
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return dumps(cfg, header=f"Written by `edge-agent provision` on {stamp}.\n"
                             "The previous version is agent.toml.prev; docs/configuration.md explains every key.")


def check_request(req: ProvisionRequest, registry: Registry, keep_sync: bool) -> list[Problem]:
    problems = []
    if req.sync and not keep_sync:
        for name in ("site", "device"):
            if getattr(req, name) is None:
                problems.append(Problem(name, "required", f"give --{name} (lowercase letters, digits, '-' and '_')"))
        if not req.broker.host:
            problems.append(Problem("broker.host", "required", "give --broker-host, or --no-sync to run without the cloud"))
        b = req.broker
        for key in ("ca_file", "cert_file", "key_file", "password_file"):
            path = getattr(b, key)
            if path is not None and not Path(path).is_file():
                problems.append(Problem(f"broker.{key}", f"{path} does not exist", "give the path of an existing file"))
        if b.ca_file is not None and not problems:
            problems += check_tls_files(b.ca_file, b.cert_file, b.key_file)
        elif b.ca_file is None and (b.cert_file is not None or b.key_file is not None):
            problems.append(Problem("broker.ca_file", "a client certificate needs the CA that checks the broker",
                                    "give --ca with the CA certificate (PEM)"))
    problems += pairing.validate(registry, req.sensors)
    return problems


async def provision(req: ProvisionRequest, root: Path, registry: Registry, *, offline: bool = False,
                    broker_timeout_s: float = 10.0, password: str | None = None,
                    progress: Progress = lambda _: None) -> Outcome:
    layout = Layout(root)
    base = existing_tables(layout, progress)
    touches_sync = req.site is not None or req.device is not None or req.broker.host is not None
    keep_sync = req.sync and not touches_sync and "sync" in base
    progress("checking the request, TLS files and sensors")
    problems = check_request(req, registry, keep_sync)
    if problems:
        raise ProvisionFailed(problems)
    devices = {k: dict(v) for k, v in req.sensors.items()} if req.sensors else dict(base.get("devices", {}))
    bindings = pairing.bind_rfcomm(registry, devices)
    owner = service_owner(root)
    outcome = Outcome(layout.config, None, owner)
    if not devices:
        outcome.warnings.append("no sensors configured: add them with --sensor, or edit [devices] later")
    staging = Staging(layout, owner)
    try:
        staged: dict[str, Path] = {}
        final: dict[str, Path] = {}
        if req.sync and not keep_sync:
            b = req.broker
            sources = {"ca": (b.ca_file, "ca.crt"), "cert": (b.cert_file, "client.crt"),
                       "key": (b.key_file, "client.key"), "password": (b.password_file, "password")}
            for key, (src, name) in sources.items():
                if src is not None:
                    staged[key], final[key] = staging.add(name, src), staging.final(name)
            if password is not None and "password" not in staged:
                staged["password"], final["password"] = staging.add("password", text=password + "\n"), staging.final("password")
        check_text = render(base, req, devices, staged, keep_sync)
        try:
            parsed = agent_config.parse(check_text, str(layout.config), registry)
        except ConfigError as exc:
            message = str(exc).replace(f"{layout.config}: ", "").replace(str(staging.dir), str(layout.credentials))
            raise ProvisionFailed([Problem("new config", message, "correct the value named above")]) from None
        outcome.warnings += [str(w) for w in static_warnings(parsed)]
        sync = parsed.top.sync
        if sync is not None and sync.enabled and not keep_sync:
            where = f"{sync.broker.host}:{sync.broker.port}"
            if offline:
                outcome.warnings.append(f"--offline: the broker {where} was NOT contacted; the credentials are untested")
            else:
                progress(f"connecting to the broker {where} with these credentials")
                outcome.broker_s = await _probe(sync, broker_timeout_s, where)
        # --root DIR builds an image: the file names the credentials where the device will see them
        text = render(base, req, devices, {k: on_device(root, v) for k, v in final.items()}, keep_sync)
        if staged:
            staging.commit()
            outcome.credentials = [layout.credentials / p.name for p in staged.values()]
        else:
            staging.discard()
        outcome.previous = write_config(layout, text, owner)
        outcome.rfcomm = write_rfcomm(layout, bindings, owner)
    finally:
        staging.discard()  # after a commit there is nothing left to remove
    if not owner.chown:
        outcome.warnings.append(f"files are owned by {owner.name}, not the service user (run as root once the "
                                f"edge-agent user exists, or chown them) ")
    return outcome


def on_device(root: Path, path: Path) -> Path:
    """``path`` (under ``root``) as the device sees it once ``root`` is its /."""
    return Path("/") / path.resolve().relative_to(root.resolve())


async def _probe(sync: Any, timeout_s: float, where: str) -> float:
    try:
        return await probe_broker(sync, timeout_s)
    except SyncAuthError as exc:
        raise ProvisionFailed([Problem("broker", str(exc), "check the username/password or the client certificate "
                                                           "and the CA with the broker's operator")]) from None
    except SyncError as exc:
        raise ProvisionFailed([Problem("broker.host", str(exc), f"check that {where} is right and reachable from "
                                       "here (network, firewall), or use --offline to write without testing")],
                              EX_UNAVAILABLE) from None
