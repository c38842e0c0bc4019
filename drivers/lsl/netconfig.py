"""Which LSL network the agent joins: loopback only, unless the technician says otherwise.

liblsl reads its configuration once, on first use, from ``$LSLAPICFG``, else
``./lsl_api.cfg``, ``~/lsl_api/lsl_api.cfg`` or ``/etc/lsl_api/lsl_api.cfg``.
A stray file in the working directory would therefore change what the agent
sees and who can see it. :func:`apply_network_scope` is called exactly once,
by :mod:`drivers.lsl.lib` before it imports pylsl: it writes the loopback
configuration below to a private file and points ``LSLAPICFG`` at it.

A technician who wants the LAN sets ``LSLAPICFG`` to their own file (in the
service's environment file); that choice is kept, never overwritten, and it
must exist (liblsl would otherwise fall back to the search above). This is
the agent's only write to ``os.environ``, and child processes (``edge-agent
simulate lsl``) inherit it on purpose, so they join the same network.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError  # not agent.plugin: install.sh runs this module with a bare python3

ENV_VAR = "LSLAPICFG"

# Checked with strace to send only to 127.0.0.1 (sensor-protocols.md §5, and again
# for this driver). liblsl still binds its sockets on 0.0.0.0 (it has no bind-address
# setting), so a deployment should also firewall ports 16571-16604 from the LAN.
# ``[log] level = -2``: liblsl prints errors only, to stderr, which is where
# the agent's own log lines go (the journal under systemd).
LOOPBACK_CONFIG = """\
; written by vr-edge-agent: LSL on this machine only (loopback)
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
KnownPeers = {127.0.0.1}
[log]
level = -2
"""


@dataclass(frozen=True, slots=True)
class NetworkScope:
    """The configuration liblsl will load, and whose choice it was."""

    path: Path
    chosen_by: str  # "agent" (loopback default) or "environment" (the technician's LSLAPICFG)

    @property
    def loopback(self) -> bool:
        return self.chosen_by == "agent"


def private_dir(environ: Mapping[str, str]) -> Path:
    """A directory only this user can write: systemd's RuntimeDirectory, else XDG, else /tmp."""
    for var, sub in (("RUNTIME_DIRECTORY", ""), ("XDG_RUNTIME_DIR", "edge-agent")):
        base = environ.get(var, "").split(":")[0]
        if base and Path(base).is_dir():
            return Path(base) / sub if sub else Path(base)
    return Path(tempfile.gettempdir()) / f"edge-agent-{os.getuid()}"


def write_loopback_config(directory: Path) -> Path:
    """Write the loopback configuration into ``directory`` (created 0700) and return its path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.lstat()
    # A shared /tmp: refuse a directory someone else made (or a symlink) for us.
    if directory.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"{directory} is not a private directory of this user")
    path = directory / "lsl_api.cfg"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".lsl_api.", suffix=".cfg")
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(LOOPBACK_CONFIG)
    os.replace(tmp, path)  # atomic: another agent process never reads half a file
    return path


def choose_scope(environ: Mapping[str, str]) -> NetworkScope:
    """The technician's ``LSLAPICFG`` if set, else a freshly written loopback file.

    An ``LSLAPICFG`` that already names the agent's own file was inherited
    from an agent process (a simulator it started): still the loopback default.
    """
    chosen = environ.get(ENV_VAR)
    own = private_dir(environ) / "lsl_api.cfg"
    if chosen and Path(chosen) != own:
        if not os.access(chosen, os.R_OK) or not Path(chosen).is_file():
            # liblsl would log this and fall back to ./lsl_api.cfg: exactly the stray file to avoid.
            raise ConfigError(f"{ENV_VAR}={chosen} is not a readable file", source=ENV_VAR)
        return NetworkScope(Path(chosen), "environment")
    return NetworkScope(write_loopback_config(own.parent), "agent")


def apply_network_scope(environ: MutableMapping[str, str] = os.environ) -> NetworkScope:
    """Fix liblsl's configuration before it loads; the one place that sets ``LSLAPICFG``."""
    scope = choose_scope(environ)
    if scope.loopback:
        environ[ENV_VAR] = str(scope.path)
    return scope
