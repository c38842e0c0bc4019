"""Issue 17 finding 3 and issue 18 finding 2: every bad config exits 78 with every problem in one message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent import config
from agent.base.driver import Registry
from agent.commands.cli.main import main
from agent.errors import EX_CONFIG, ConfigError


def run_agent(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != config.ENV_VAR}
    env.update(HOME=str(tmp_path / "home"), XDG_RUNTIME_DIR=str(tmp_path / "run"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    return subprocess.run([sys.executable, "-m", "agent", "run", "--config", str(path), "--for", "1",
                           "--view", "none", *args], capture_output=True, text=True, timeout=60, env=env)


LONG = "x" * 300


@pytest.mark.parametrize("text, field, words", [
    ('[agent]\nstate_dir = "~nouser/x"\n', "agent.state_dir", ["~nouser", "full path"]),
    ('[model]\ndir = "/nonexistent"\n', "model.dir", ["/nonexistent", "not a folder"]),
    (f'[agent]\nstate_dir = "/tmp/{LONG}"\n', "agent.state_dir", ["300 bytes", "limit is 255"]),
    (f'[agent]\nruntime_dir = "/tmp/{LONG}"\n', "agent.runtime_dir", ["300 bytes"]),
    ('[devices.gsr]\ndriver = "sim-gsr"\nstressor_s = 1e309\n', "devices.gsr.stressor_s", ["not a finite number"]),
    ('[supervisor]\nbackoff_max_s = nan\n', "supervisor.backoff_max_s", ["not a finite number"]),
    ('[features]\ntick_hz = inf\n', "features.tick_hz", ["not a finite number"]),
])
def test_bad_paths_and_numbers_exit_78_without_a_traceback(tmp_path, text, field, words):
    result = run_agent(tmp_path, text + ('[devices.s]\ndriver = "sim-gsr"\n' if "devices" not in text else ""))
    assert result.returncode == EX_CONFIG, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'agent.toml'}: {field}: " in result.stderr
    assert "fix: " in result.stderr
    for w in words:
        assert w in result.stderr


def test_device_and_top_level_errors_come_in_one_message(tmp_path):
    text = ('[agent]\nfoo = 1\n[devices.a]\ndriver = "sim-gsr"\nrate = 3\n'
            '[devices.b]\ndriver = "sim-gsr"\nsed = 1\n[devices.c]\ndriver = "nope"\n')
    with pytest.raises(ConfigError) as info:
        config.parse(text, "f.toml", Registry())
    lines = str(info.value).splitlines()
    assert lines[0] == "4 problems in f.toml:"
    fields = [line.split(": ")[1] for line in lines[1:]]
    assert fields == ["agent.foo", "devices.a.rate", "devices.b.sed", "devices.c.driver"]
    assert all(line.startswith("f.toml: ") and "; fix: " in line for line in lines[1:])


def test_a_config_without_devices_is_refused_not_run_silently(tmp_path):
    result = run_agent(tmp_path, "[agent]\nlog_level = 'info'\n")
    assert result.returncode == EX_CONFIG
    assert "devices: no sensor is configured" in result.stderr and "--simulate" in result.stderr


def test_the_embedded_default_lives_in_the_users_own_directories(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg-run"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    cfg = config.parse(config.embedded_default_text(), config.EMBEDDED, Registry())
    assert cfg.agent.runtime_dir == tmp_path / "xdg-run/edge-agent"
    assert cfg.agent.state_dir == tmp_path / "xdg-state/edge-agent"
    assert cfg.vrlink.socket_path == tmp_path / "xdg-run/edge-agent/vr.sock"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    cfg = config.parse(config.embedded_default_text(), config.EMBEDDED, Registry())
    assert cfg.agent.runtime_dir.name == f"edge-agent-{os.getuid()}"


@pytest.mark.parametrize("args", [["run", "--simulate", "--speed", "nan"], ["run", "--simulate", "--for", "inf"],
                                  ["check", "--seconds", "1e309"], ["scan", "--timeout", "inf"]])
def test_non_finite_numbers_are_refused_on_the_command_line_too(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "is not a finite number" in r.output, r.output
