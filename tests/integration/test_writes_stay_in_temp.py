"""Issue 18 finding 9: the suite's CLI tests write nothing outside their temporary directories.

They run again in a private mount namespace whose /tmp is an empty tmpfs,
with HOME and XDG_* pointed at empty folders there; afterwards /tmp holds
only pytest's own base directory and those folders, still empty, the
repository is as it was, and no system path the agent defaults to appeared.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# the CLI tests that start agents, read status, tail the VR link and check: those that once wrote
# /tmp/edge-agent/status.json and under ~/.local/state
CLI_TESTS = ["tests/integration/test_run_cli.py", "tests/integration/test_status_cli.py",
             "tests/integration/test_find_the_agent.py", "tests/agent/test_config.py",
             "tests/agent/test_scan_cli.py", "tests/agent/selftest/test_check_honest.py",
             "tests/agent/vrlink/test_vr_tail.py"]
USER = {"HOME": "/tmp/home", "XDG_RUNTIME_DIR": "/tmp/xdg-run", "XDG_STATE_HOME": "/tmp/xdg-state",
        "XDG_CONFIG_HOME": "/tmp/xdg-config", "XDG_CACHE_HOME": "/tmp/xdg-cache", "XDG_DATA_HOME": "/tmp/xdg-data"}
SYSTEM_DEFAULTS = ("/run/edge-agent", "/var/lib/edge-agent", "/etc/edge-agent")


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def test_the_cli_tests_write_only_into_their_temporary_directories() -> None:
    before = git_status()
    existed = {p for p in SYSTEM_DEFAULTS if os.path.exists(p)}
    pytest_cmd = shlex.join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                             "--basetemp=/tmp/pytest-base", *CLI_TESTS])
    script = f"""
set -e
mount -t tmpfs edge-agent-test-tmp /tmp
mkdir {' '.join(USER.values())}
{pytest_cmd} >&2
echo "left in /tmp:"
find /tmp -mindepth 1 -not -path '/tmp/pytest-base*' | sort
"""
    env = {k: v for k, v in os.environ.items() if k != "EDGE_AGENT_CONFIG"}
    env.update(USER, PYTHONDONTWRITEBYTECODE="1", TMPDIR="/tmp")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert " passed" in r.stderr
    left = r.stdout.split("left in /tmp:\n", 1)[1].split()
    assert sorted(left) == sorted(USER.values()), left  # the user's folders, and nothing in them
    assert git_status() == before
    assert {p for p in SYSTEM_DEFAULTS if os.path.exists(p)} == existed
