"""Who is on the other end of a Unix socket, and whether they may connect.

The kernel reports the peer's uid, gid and pid (SO_PEERCRED) and its
supplementary groups (SO_PEERGROUPS, Linux 4.13+) as they were when it
connected; nothing the peer sends can change them.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from agent.errors import ConfigError

_UCRED = struct.Struct("3i")  # pid, uid, gid
_SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)  # Python does not export it; 59 on Linux


@dataclass(frozen=True, slots=True)
class PeerCredentials:
    pid: int
    uid: int
    gid: int
    groups: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"pid={self.pid} uid={self.uid} gid={self.gid}"


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    pid, uid, gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, _SO_PEERGROUPS, 4 * 256)
        groups = struct.unpack(f"{len(raw) // 4}I", raw[: len(raw) // 4 * 4])
    except OSError:  # older kernel or too many groups: primary gid only
        groups = ()
    return PeerCredentials(pid, uid, gid, tuple(groups))


def _uid(entry: str | int) -> int:
    if isinstance(entry, int):
        return entry
    try:
        return pwd.getpwnam(entry).pw_uid
    except KeyError:
        raise ConfigError(f"vrlink.allow_users: no such user {entry!r}", field="vrlink.allow_users") from None


def group_id(entry: str | int, field: str) -> int:
    if isinstance(entry, int):
        return entry
    try:
        return grp.getgrnam(entry).gr_gid
    except KeyError:
        raise ConfigError(f"{field}: no such group {entry!r}", field=field) from None


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Peers allowed by uid, or by any of their groups. Names are resolved once, at start."""

    uids: frozenset[int]
    gids: frozenset[int]

    @classmethod
    def resolve(cls, users: Iterable[str | int], groups: Iterable[str | int], *, allow_self: bool) -> Allowlist:
        uids = {_uid(u) for u in users}
        if allow_self:
            uids.add(os.geteuid())
        return cls(frozenset(uids), frozenset(group_id(g, "vrlink.allow_groups") for g in groups))

    def allows(self, peer: PeerCredentials) -> bool:
        return peer.uid in self.uids or peer.gid in self.gids or not self.gids.isdisjoint(peer.groups)
