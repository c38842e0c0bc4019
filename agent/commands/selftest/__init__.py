"""``edge-agent check``: the self-test, as a sequence of small check functions.

``sensors`` streams each configured sensor; the rest are here.

Each check takes the :class:`Context` and returns one or more
:class:`Step` results: pass / warn / fail, a measured figure, and a one-line
fix when it is not a pass. ``CHECKS`` is the order they run in; adding a
check is adding a function to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import time

from agent.commands.provision.checks import check_tls_files, probe_broker
from agent.commands.selftest.groups import check_groups
from agent.commands.selftest.model import check_model
from agent.commands.selftest.protection import check_protection
from agent.commands.selftest.sensors import check_sensor
from agent.commands.selftest.step import Check, Context, Step
from agent.errors import SyncError
from agent.outputs.sync.mqtt import SyncAuthError
from agent.runtime import statusfile


async def check_sensors(ctx: Context) -> list[Step]:
    devices = ctx.config.devices
    if not devices:
        return [Step("sensors", "warn", "0 configured", fix="pair sensors: edge-agent provision --sensor ...")]
    live = statusfile.read(statusfile.path_for(ctx.config.agent.runtime_dir))
    if live.live:  # a strap accepts one connection, and the agent holds it
        return [Step(f"sensor {d.device_id}", "fail", "", f"the agent (pid {live.data['pid']}) is running and holds it",  # type: ignore[index]
                     "stop it first (systemctl stop edge-agent), or watch it with edge-agent status") for d in devices]
    ctx.progress(f"streaming {len(devices)} sensor(s) for {ctx.seconds:g} s: {', '.join(d.device_id for d in devices)}")
    steps = list(await asyncio.gather(*(check_sensor(d, ctx.seconds, ctx.config, ctx.clock, ctx.progress) for d in devices)))
    ctx.feeds = {d.device_id: s.feeds for d, s in zip(devices, steps, strict=True) if s.status != "fail"}
    return steps


async def check_vr_socket(ctx: Context) -> list[Step]:
    options = ctx.config.vrlink
    if not options.enabled:
        return [Step("VR socket", "pass", "disabled in [vrlink]")]
    path = options.socket_path
    probe = path.with_name(f".check-{os.getpid()}.sock")  # beside the real one: same directory, same rules
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(str(probe))
            s.listen(1)
    except OSError as exc:
        return [Step("VR socket", "fail", str(path), f"cannot bind a socket in {path.parent}: {exc.strerror or exc}",
                     f"make {path.parent} writable by the service user (RuntimeDirectory=edge-agent), or set "
                     "[vrlink] socket_path")]
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return [Step("VR socket", "pass", str(path), "a socket can be bound there")]


async def check_broker(ctx: Context) -> list[Step]:
    sync = ctx.config.top.sync
    if sync is None or not sync.enabled:
        return [Step("broker", "warn", "no [sync]", "summaries will wait in the outbox",
                     "set up the cloud link: edge-agent provision --broker-host ...")]
    where = f"{sync.broker.host}:{sync.broker.port}"
    tls = sync.broker.tls
    if tls is not None:
        problems = check_tls_files(tls.ca_file, tls.cert_file, tls.key_file, prefix="sync.broker.tls")
        if problems:
            p = problems[0]
            return [Step("broker", "fail", where, f"{p.field}: {p.message}", p.fix)]
    ctx.progress(f"connecting to the broker {where}")
    try:
        seconds = await probe_broker(sync, ctx.broker_timeout_s)
    except SyncAuthError as exc:
        return [Step("broker", "fail", where, str(exc), "check the credentials with the broker's operator; "
                     "re-provision with edge-agent provision")]
    except (SyncError, OSError) as exc:
        return [Step("broker", "fail", where, str(exc), f"check that {where} is reachable (network, DNS, firewall, "
                     "the unit's IPAddressAllow= drop-in)")]
    return [Step("broker", "pass", f"{seconds * 1000:.0f} ms", f"CONNACK from {where} with the configured credentials")]


async def check_disk(ctx: Context) -> list[Step]:
    where = ctx.config.agent.state_dir
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_mb = usage.free / 1e6
    figure = f"{free_mb:,.0f} MB free"
    if free_mb < ctx.min_free_mb:
        return [Step("disk", "fail", figure, f"under {where} ({probe}); need {ctx.min_free_mb:g} MB",
                     "free space on that file system (old logs: journalctl --vacuum-size=100M)")]
    if free_mb < 2 * ctx.min_free_mb:
        return [Step("disk", "warn", figure, f"under {where}", "free some space soon")]
    return [Step("disk", "pass", figure, f"under {where}")]


CHECKS: list[Check] = [check_sensors, check_model, check_groups, check_vr_socket, check_broker, check_protection, check_disk]


async def run_checks(ctx: Context, checks: list[Check] | None = None) -> list[Step]:
    steps: list[Step] = []
    for check in checks if checks is not None else CHECKS:
        started = time.monotonic()
        try:
            steps += await check(ctx)
        except Exception as exc:  # a broken check is a failed check, not a crashed self-test
            steps.append(Step(check.__name__.removeprefix("check_"), "fail", "", f"{type(exc).__name__}: {exc}",
                              "report this as a bug with the output of edge-agent check --json"))
        ctx.progress(f"{check.__name__.removeprefix('check_')} done ({time.monotonic() - started:.1f} s)")
    return steps
