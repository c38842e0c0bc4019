"""Commands that need no model start without the model's libraries: numpy and onnxruntime stay unloaded.

Each command runs in a fresh interpreter, as a technician types it; what it
imported is read from ``sys.modules`` after it returned (or exited).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "onnxruntime")

PROBE = """
import json, sys
from agent.commands.cli.main import main
try:
    main(sys.argv[1:], prog_name="edge-agent")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def run_probe(args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60,
                          env=env, check=False)
    assert done.stdout.strip(), done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def config(tmp_path: Path) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(f'[agent]\nruntime_dir = "{tmp_path}/run"\nstate_dir = "{tmp_path}/state"\n'
                    '[devices.strap]\ndriver = "sim-chest-strap"\n')
    return path


@pytest.mark.parametrize("args", [
    ["--version"],
    ["provision", "--help"],
    ["status", "--once"],
    ["status", "--once", "--config", "{config}"],
    ["status", "--json", "--runtime-dir", "{tmp}"],
    ["vr-tail", "--help"],
    ["vr-tail", "--config", "{config}", "--count", "1"],
], ids=lambda a: " ".join(a))
def test_a_command_without_a_model_loads_neither_numpy_nor_onnxruntime(tmp_path: Path, args: list[str]) -> None:
    args = [a.format(config=config(tmp_path), tmp=tmp_path) for a in args]
    result = run_probe(args)
    assert result["loaded"] == [], result
    if args[0] == "status":
        assert result["code"] == 3  # it really looked: no agent is running there
    if args[:2] == ["vr-tail", "--config"]:
        assert result["code"] == 1  # it found the socket's place from the config, and nobody listens


def test_drivers_loads_no_numpy_unless_a_drivers_library_does(tmp_path: Path) -> None:
    # pylsl itself imports numpy; with it shadowed, whatever loads numpy would be the agent's own code.
    shadow = tmp_path / "shadow" / "pylsl"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('pylsl shadowed by the test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")]))
    result = run_probe(["drivers"], env)
    assert result == {"code": 0, "loaded": []}
    listing = subprocess.run([sys.executable, "-m", "agent", "drivers", "--json"], capture_output=True, text=True,
                             env=env, timeout=60, check=True)
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["lsl"]["available"] is False and "pip install 'vr-edge-agent[lsl]'" in rows["lsl"]["error"]
    assert rows["sim-ecg"]["available"] is True


def test_the_probe_sees_the_model_libraries_when_a_command_imports_them(tmp_path: Path) -> None:
    """The other side: the probe is not blind (replay imports the core at once)."""
    result = run_probe(["replay", "--help"])
    assert result["code"] == 0 and "numpy" in result["loaded"]  # type: ignore[operator]


def test_every_lazy_command_resolves_to_its_click_command() -> None:
    """The import paths in COMMANDS are strings: a moved module must fail here, not at a technician's prompt."""
    import click

    from agent.commands.cli.main import COMMANDS, main

    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name


def test_every_command_is_listed_without_being_imported() -> None:
    from click.testing import CliRunner

    from agent.commands.cli.main import COMMANDS, main

    out = CliRunner().invoke(main, ["--help"]).output
    assert all(name in out for name in [*COMMANDS, "simulate"]), out


def test_status_reads_only_where_the_agent_is_and_names_a_bad_runtime_dir(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[agent]\nruntime_dir = 7\n')
    result = run_probe(["status", "--once", "--config", str(bad)])
    assert result["code"] == 78 and result["loaded"] == []
