"""Errors become exit codes once, at the ``edge-agent`` group; every error the agent raises is an AgentError."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import agent
from agent.commands.cli.exits import exit_code
from agent.commands.cli.main import LazyGroup
from agent.errors import (
    EX_CONFIG,
    EX_DATAERR,
    EX_INTERRUPTED,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    AgentAlreadyRunning,
    AgentError,
    ConfigError,
    DriverUnavailable,
    ProtocolError,
    RecordingUnreadable,
    ScanUnavailable,
    SyncError,
    UpdateRefused,
)

CLI = Path(agent.__file__).parent / "cli"


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError("bad"), EX_CONFIG),
    (AgentAlreadyRunning("taken"), EX_TEMPFAIL),
    (RecordingUnreadable(Path("x.npz"), "truncated"), EX_CONFIG),  # a file retrying cannot mend
    (DriverUnavailable("polar-h10", "ble", "no bleak"), EX_CONFIG),
    (UpdateRefused("signature", "bad"), EX_CONFIG),
    (SyncError("no broker"), EX_UNAVAILABLE),
    (ScanUnavailable("no adapter", "power it on"), EX_UNAVAILABLE),
    (ProtocolError("bad bytes"), EX_DATAERR),
])
def test_each_kind_of_error_has_its_exit_code(error: AgentError, code: int) -> None:
    assert exit_code(error) == code


def test_the_group_maps_what_a_command_raises() -> None:
    @click.command()
    @click.argument("what")
    def boom(what: str) -> None:
        if what == "config":
            raise ConfigError("agent.toml: model.dir: no such folder; fix: point it at a folder")
        if what == "broker":
            raise SyncError("broker unreachable")
        raise KeyboardInterrupt

    group = LazyGroup(name="edge-agent", commands={"boom": boom})
    runner = CliRunner()
    config = runner.invoke(group, ["boom", "config"])
    assert config.exit_code == EX_CONFIG
    assert "edge-agent boom: configuration error\nagent.toml: model.dir" in config.output
    assert runner.invoke(group, ["boom", "broker"]).exit_code == EX_UNAVAILABLE
    interrupted = runner.invoke(group, ["boom", "ctrl-c"])
    assert interrupted.exit_code == EX_INTERRUPTED and "interrupted" in interrupted.output


def test_no_command_maps_an_error_to_an_exit_code_itself() -> None:
    """sys.exit/SystemExit with a sysexits code belongs to agent.commands.cli.exits alone."""
    offenders = []
    for path in sorted(CLI.glob("*.py")):
        if path.name == "exits.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.exit", "SystemExit", "ctx.exit"):
                arg = ast.unparse(node.args[0]) if node.args else ""
                if "EX_" in arg or any(c in arg for c in ("65", "69", "75", "78", "130")):
                    offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_every_exception_class_the_agent_defines_is_an_agent_error() -> None:
    outside = []
    for info in pkgutil.walk_packages(agent.__path__, "agent."):
        if info.name == "agent.__main__" or ".backend." in info.name or info.name.endswith(
                ("bench", "bench_events", "crashtest", "soak")):
            continue  # the backend's own consumer and the harnesses are not the headset's agent
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name
                    and not issubclass(obj, AgentError)):
                outside.append(f"{info.name}.{name}")
    assert outside == []
