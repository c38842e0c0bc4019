"""Every test gets its own HOME and XDG directories, so nothing it runs writes under the user's.

The agent's embedded default keeps its sockets, status file and state in
$XDG_RUNTIME_DIR and $XDG_STATE_HOME; pointing those (and HOME, for ``~``)
into the test's temporary directory keeps two test runs, or a test run and
a running agent, from ever sharing a file. Subprocesses inherit them.
test_writes_stay_in_temp.py proves it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

USER_DIRS = {"HOME": "home", "XDG_RUNTIME_DIR": "xdg-run", "XDG_STATE_HOME": "xdg-state",
             "XDG_CONFIG_HOME": "xdg-config", "XDG_CACHE_HOME": "xdg-cache", "XDG_DATA_HOME": "xdg-data"}


@pytest.fixture(autouse=True)
def own_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    base = tmp_path_factory.mktemp("user")
    for var, name in USER_DIRS.items():
        (base / name).mkdir(mode=0o700)
        monkeypatch.setenv(var, str(base / name))
    yield
