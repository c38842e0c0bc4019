"""Writing a provisioned installation to disk: staged, then swapped in, the old one kept.

Layout under ROOT (``/`` on a real machine)::

    etc/edge-agent/agent.toml            the config (atomic replace; the previous one is agent.toml.prev)
    etc/edge-agent/credentials/          0700, files 0600, owned by the service user
    etc/edge-agent/credentials.prev/     the credentials the previous config used
    etc/edge-agent/rfcomm/rfcommN.env    ADDRESS / CHANNEL for edge-agent-rfcomm@N.service
    etc/systemd/system/edge-agent.service.wants/edge-agent-rfcomm@N.service -> the template

Nothing under ``credentials/`` or ``agent.toml`` changes until every check
has passed; credentials are staged in a sibling directory first, so the
final swap is a pair of renames on one file system.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent.commands.provision.sensors import RfcommBinding

SERVICE_USER = "edge-agent"
CONFIG_NAME = "agent.toml"


@dataclass(frozen=True, slots=True)
class Owner:
    uid: int
    gid: int
    name: str
    chown: bool  # False: files stay owned by whoever runs provision


def service_owner(root: Path) -> Owner:
    """The service user if we may and can chown to it; otherwise the current user (the caller says so)."""
    me = Owner(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name, chown=False)
    if os.geteuid() != 0:
        return me
    entry = _lookup(root, SERVICE_USER)
    if entry is None:
        return me
    return Owner(entry[0], entry[1], SERVICE_USER, chown=True)


def _lookup(root: Path, user: str) -> tuple[int, int] | None:
    if root == Path("/"):
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            return None
        return pw.pw_uid, pw.pw_gid
    passwd = root / "etc/passwd"  # an image's users, not this machine's
    if not passwd.is_file():
        return None
    for line in passwd.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] == user:
            return int(parts[2]), int(parts[3])
    return None


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.etc = root / "etc/edge-agent"
        self.config = self.etc / CONFIG_NAME
        self.previous = self.etc / f"{CONFIG_NAME}.prev"
        self.credentials = self.etc / "credentials"
        self.rfcomm = self.etc / "rfcomm"
        self.wants = root / "etc/systemd/system/edge-agent.service.wants"


class Staging:
    """Credentials copied into a private sibling of ``credentials/``, removed unless committed."""

    def __init__(self, layout: Layout, owner: Owner) -> None:
        self.layout = layout
        self.owner = owner
        layout.etc.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=".credentials.new-", dir=layout.etc))
        os.chmod(self.dir, 0o700)
        self.names: list[str] = []

    def add(self, name: str, source: Path | None = None, *, text: str | None = None) -> Path:
        """Copy ``source`` (or write ``text``) as credentials/``name``, mode 0600."""
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(source.read_bytes() if source is not None else (text or "").encode())
            f.flush()
            os.fsync(f.fileno())
        self.names.append(name)
        return path

    def final(self, name: str) -> Path:
        return self.layout.credentials / name

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def commit(self) -> None:
        """Swap the staged credentials in; the ones in use go to ``credentials.prev``."""
        for p in [self.dir, *(self.dir / n for n in self.names)]:
            if self.owner.chown:
                os.chown(p, self.owner.uid, self.owner.gid)
        prev = self.layout.etc / "credentials.prev"
        if self.layout.credentials.exists():
            shutil.rmtree(prev, ignore_errors=True)
            os.replace(self.layout.credentials, prev)
        os.replace(self.dir, self.layout.credentials)
        _fsync_dir(self.layout.etc)


def write_config(layout: Layout, text: str, owner: Owner) -> Path | None:
    """Atomically replace the config; the bytes it had are kept as ``agent.toml.prev``. Returns that path."""
    kept = None
    if layout.config.exists():
        _atomic_write(layout.previous, layout.config.read_bytes(), 0o640, owner)
        kept = layout.previous
    _atomic_write(layout.config, text.encode(), 0o640, owner)
    return kept


def _atomic_write(path: Path, data: bytes, mode: int, owner: Owner) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # root owns the config; the service reads it through its group (when that group exists)
        if owner.chown:
            os.chown(tmp, 0, owner.gid)
        os.chmod(tmp, mode if owner.chown else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_rfcomm(layout: Layout, bindings: list[RfcommBinding], owner: Owner) -> list[Path]:
    """One env file per binding, and the wants/ link that starts its template instance before the agent."""
    written = []
    if bindings:
        layout.rfcomm.mkdir(parents=True, exist_ok=True)
        layout.wants.mkdir(parents=True, exist_ok=True)
    for b in bindings:
        env = layout.rfcomm / f"rfcomm{b.index}.env"
        _atomic_write(env, f"ADDRESS={b.address}\nCHANNEL={b.channel}\n".encode(), 0o644, owner)
        link = layout.wants / f"edge-agent-rfcomm@{b.index}.service"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to("/etc/systemd/system/edge-agent-rfcomm@.service")
        written += [env, link]
    return written
