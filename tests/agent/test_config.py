"""A bad config stops the agent with a message that names the file, the field and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from agent import config
from agent.base.driver import Registry
from agent.errors import EX_CONFIG, ConfigError

REGISTRY = Registry(
    metadata.EntryPoints(
        [metadata.EntryPoint("scripted", "tests.support.scripted:SCRIPTED", "edge_agent.drivers")]
    )
)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "agent.toml"
    p.write_text(text)
    return p


GOOD = """
[agent]
state_dir = "/tmp/state"
log_level = "debug"

[supervisor]
backoff_max_s = 10

[devices.strap]
driver = "scripted"
chunk = 7

[devices.spare]
driver = "scripted"
enabled = false
"""


def test_good_file_is_typed(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), REGISTRY)
    assert cfg.agent.state_dir == Path("/tmp/state")
    assert cfg.supervisor.backoff_max_s == 10.0
    assert [d.device_id for d in cfg.devices] == ["strap"]  # the disabled one is not run
    assert cfg.devices[0].options.chunk == 7


@pytest.mark.parametrize(
    "text, field, words",
    [
        ("[agent]\nstate_dirr = '/x'\n", "agent.state_dirr", ["unknown key", "valid keys here: state_dir"]),
        ("[supervisor]\nbackoff_max_s = 'soon'\n", "supervisor.backoff_max_s", ["valid number", "'soon'"]),
        ("[supervisor]\nbackoff_jitter = 1.5\n", "supervisor.backoff_jitter", ["less than 1", "1.5"]),
        ("[supervisor]\nbackoff_initial_s = 9\nbackoff_max_s = 2\n", "supervisor", ["must not exceed"]),
        ("[agent]\nlog_level = 'loud'\n", "agent.log_level", ["'debug', 'info', 'warning' or 'error'"]),
        ("[devices.strap]\ndriver = 'scripted'\nchunk = 0.5\n", "devices.strap.chunk", ["valid integer"]),
        ("[devices.strap]\ndriver = 'scripted'\nchunks = 5\n", "devices.strap.chunks", ["unknown key", "chunk"]),
        ("[devices.strap]\ndriver = 'bluetooth'\n", "devices.strap.driver", ["unknown driver", "scripted"]),
        ("[devices.strap]\nchunk = 5\n", "devices.strap.driver", ["missing"]),
        ("[devices.strap]\ndriver = 'scripted'\nenabled = 'yes'\n", "devices.strap.enabled", ["true or false"]),
        ("[devices]\nstrap = 3\n", "devices.strap", ["table"]),
        ("[agent\nstate_dir = 1\n", None, ["not valid TOML", "line 1"]),
    ],
)
def test_bad_file_names_file_field_and_expectation(tmp_path, text, field, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        config.load(path, REGISTRY)
    message = str(info.value)
    assert message.startswith(str(path))
    if field is not None:
        assert f": {field}" in message
        assert info.value.field is not None and info.value.field.startswith(field)
    for w in words:
        assert w in message


def test_missing_explicit_file_says_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="not found.*provision.*EDGE_AGENT_CONFIG"):
        config.load(tmp_path / "nope.toml", REGISTRY)


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setenv(config.ENV_VAR, str(path))
    assert config.resolve_path(None) == (path, True)
    assert config.resolve_path(tmp_path / "cli.toml") == (tmp_path / "cli.toml", True)  # the flag wins


def test_embedded_default_is_used_when_nothing_is_configured(monkeypatch):
    monkeypatch.delenv(config.ENV_VAR, raising=False)
    if config.DEFAULT_PATH.exists():  # a provisioned machine: the default path wins, as it should
        assert config.resolve_path(None) == (config.DEFAULT_PATH, False)
    else:
        assert config.resolve_path(None) == (None, False)
    assert "sim-chest-strap" in config.embedded_default_text()


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize(
    "text, expect",
    [
        ("[agent]\nbogus = 1\n", "agent.bogus: unknown key"),
        ("[supervisor]\nstall_factor = 'x'\n", "supervisor.stall_factor"),
        ("[supervisor]\nstall_factor = 0.5\n", "greater than 1"),
        ("[[agent]]\n", "agent"),
        ("not toml at all = = =", "not valid TOML"),
    ],
)
def test_cli_exits_78_with_the_message(tmp_path, text, expect):
    path = write(tmp_path, text)
    result = run_cli("run", "--config", str(path), "--for", "1")
    assert result.returncode == EX_CONFIG, result.stderr
    assert str(path) in result.stderr and expect in result.stderr


def test_cli_missing_file_from_environment_exits_78(tmp_path):
    result = run_cli("run", "--for", "1", env_extra={config.ENV_VAR: str(tmp_path / "gone.toml")})
    assert result.returncode == EX_CONFIG
    assert "gone.toml: config file not found" in result.stderr
