"""Loopback unless the technician says otherwise; a stray lsl_api.cfg changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from agent.errors import ConfigError
from drivers.lsl.driver import LslDriver
from drivers.lsl.netconfig import LOOPBACK_CONFIG, apply_network_scope, choose_scope, private_dir
from tests.drivers.lsl.outlets import REPO, Outlet, unique


# A configuration that puts its user in another LSL "session": streams in
# different sessions never see each other, so it shows which file was read.
def other_session(session: str) -> str:
    return LOOPBACK_CONFIG.replace("[lab]\n", f"[lab]\nSessionID = {session}\n")


def test_loopback_is_written_privately_and_set_when_nothing_is_chosen(tmp_path):
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    scope = apply_network_scope(env)
    assert scope.loopback and scope.path == tmp_path / "edge-agent" / "lsl_api.cfg"
    assert env["LSLAPICFG"] == str(scope.path)
    assert scope.path.read_text() == LOOPBACK_CONFIG
    assert "ResolveScope = machine" in LOOPBACK_CONFIG and "KnownPeers = {127.0.0.1}" in LOOPBACK_CONFIG
    assert (scope.path.parent.stat().st_mode & 0o777) == 0o700
    # An agent's child inherits LSLAPICFG naming the agent's own file: still loopback.
    assert choose_scope(env).loopback


def test_a_technicians_lslapicfg_is_kept_untouched(tmp_path):
    lan = tmp_path / "lan.cfg"
    lan.write_text("[multicast]\nResolveScope = site\n")
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "LSLAPICFG": str(lan)}
    scope = apply_network_scope(env)
    assert (scope.loopback, scope.path, env["LSLAPICFG"]) == (False, lan, str(lan))
    assert not (tmp_path / "edge-agent").exists()


def test_a_technicians_lslapicfg_that_does_not_exist_is_a_config_error(tmp_path):
    # liblsl itself would log an error and read ./lsl_api.cfg instead.
    with pytest.raises(ConfigError, match="not a readable file"):
        apply_network_scope({"XDG_RUNTIME_DIR": str(tmp_path), "LSLAPICFG": str(tmp_path / "missing.cfg")})


def test_private_dir_prefers_systemds_runtime_directory(tmp_path):
    assert private_dir({"RUNTIME_DIRECTORY": str(tmp_path), "XDG_RUNTIME_DIR": "/nonexistent"}) == tmp_path
    assert private_dir({}).name == f"edge-agent-{os.getuid()}"


def test_a_directory_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "edge-agent"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(PermissionError, match="not a private directory"):
        apply_network_scope({"XDG_RUNTIME_DIR": str(tmp_path)})


def _child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LSLAPICFG"}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    env.update(extra)
    return env


async def _visible(source_id: str) -> bool:
    return any(d.address == source_id for d in await LslDriver.discover(timeout_s=1.0))


async def test_a_stray_lsl_api_cfg_in_the_working_directory_changes_nothing(tmp_path, outlets):
    stray = tmp_path / "cwd"
    stray.mkdir()
    (stray / "lsl_api.cfg").write_text(other_session("stray"))
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)

    # The simulator, started there with no LSLAPICFG, writes and uses the agent's loopback file ...
    sid = unique("stray-ignored")
    outlet = await asyncio.to_thread(outlets, "--channels", "1", "--source-id", sid, env=_child_env(runtime), cwd=stray)
    assert outlet.ready["loopback"] is True
    assert outlet.ready["lsl_config"] == str(runtime / "edge-agent" / "lsl_api.cfg")
    assert await _visible(sid)

    # ... whereas plain pylsl in the same place reads the stray file and vanishes into its session.
    control = unique("stray-obeyed")
    code = (
        "import pylsl, sys; o = pylsl.StreamOutlet(pylsl.StreamInfo('c', 'EEG', 1, 256, 'float32', sys.argv[1]));"
        "print('up', flush=True); sys.stdin.read()"  # alive until the test closes stdin or kills it
    )
    env = _child_env(runtime, PYTHONPATH=str(REPO))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, control, cwd=stray, env=env, stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 20) == b"up\n"
        assert not await _visible(control)
    finally:
        proc.kill()
        await proc.wait()


async def test_the_simulator_follows_the_technicians_choice(tmp_path, outlets):
    lan = tmp_path / "lan.cfg"
    lan.write_text(other_session("clinic"))
    sid = unique("lan")
    outlet: Outlet = await asyncio.to_thread(
        outlets, "--channels", "1", "--source-id", sid, env=_child_env(tmp_path, LSLAPICFG=str(lan))
    )
    assert (outlet.ready["loopback"], outlet.ready["lsl_config"]) == (False, str(lan))
    assert not await _visible(sid), "another session: invisible to an agent on the default one"
