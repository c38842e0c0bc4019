"""The VR link server: a Unix socket (and optionally loopback TCP) for the VR app.

The agent drives it with three calls that never wait:
``publish_adaptation(a)``, ``publish_status(status)`` and, from the
server's own task, heartbeats. What the apps send back is committed to the
event journal (the agent's, or one in memory) and acked; each event newly
recorded comes out of :meth:`VrLinkServer.events` as an
:class:`~agent.outputs.vrlink.recording.AppEvent`, once.

    async with VrLinkServer(options.vrlink, clock, journal=journal) as link:
        link.publish_adaptation(adaptation)
        async for event in link.events():
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Self

import structlog

from agent.base.adaptation import Adaptation
from agent.base.clock import Clock
from agent.errors import AgentAlreadyRunning, ConfigError
from agent.outputs.vrlink.connection import ClientLink
from agent.outputs.vrlink.hub import Hub
from agent.outputs.vrlink.messages import Status
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.peers import Allowlist, group_id, peer_credentials
from agent.outputs.vrlink.recording import AppEvent, EventJournal, EventRecorder, in_memory_journal

_SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux


class VrLinkServer:
    def __init__(
        self, options: VrLinkOptions, clock: Clock, *, journal: EventJournal | None = None, wall: Clock | None = None
    ) -> None:
        """``clock`` stamps ``t``; ``wall`` (real time unless a test injects one) times the protocol."""
        self.options = options
        self.journal = journal  # None: one in memory, opened at start and closed with the server
        self._own_journal = journal is None
        self.hub = Hub(options, clock, wall)
        self.log = structlog.get_logger("edge_agent.vrlink")
        self._allowlist = Allowlist.resolve(options.allow_users, options.allow_groups, allow_self=options.allow_self)
        self._token = options.tcp.read_token() if options.tcp is not None else None
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._links: set[ClientLink] = set()
        self._socket_inode: int | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.tcp_address: tuple[str, int] | None = None
        self._closed = False

    # -- lifecycle ------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self.journal is None:
            self.journal = await in_memory_journal()
        self.hub.recorder = EventRecorder(self.journal, self.options.event_queue, self.hub.clock)
        self.hub.recorder.start()
        sock = self._bind_unix()
        self._servers.append(await asyncio.start_unix_server(self._accept_unix, sock=sock))
        if self.options.tcp is not None:
            tcp = self.options.tcp
            server = await asyncio.start_server(self._accept_tcp, tcp.host, tcp.port)
            self.tcp_address = server.sockets[0].getsockname()[:2]
            self._servers.append(server)
        self._heartbeat = asyncio.create_task(self._heartbeats(), name="vrlink-heartbeat")
        self.log.info("vrlink.listening", socket=str(self.socket_path), tcp=self.tcp_address)

    async def close(self) -> None:
        self._closed = True
        for server in self._servers:
            server.close()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        for link in list(self._links):
            link.close()
        if self._tasks:
            await asyncio.wait(self._tasks)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        if self.hub.recorder is not None:
            await self.hub.recorder.close()  # every accepted event is committed and answered first
        if self._own_journal and self.journal is not None:
            await self.journal.close()
            self.journal = None
        self._unlink_socket()

    @property
    def socket_path(self) -> Path:
        return self.options.socket_path

    # -- the agent's side -------------------------------------------------------------

    def publish_adaptation(self, adaptation: Adaptation) -> None:
        """Send to every client that asked for adaptations; never waits."""
        self.hub.publish_adaptation(adaptation)

    def publish_status(self, status: Status | Mapping[str, Any]) -> None:
        """Send a status snapshot (a Status, or a mapping with its fields); never waits.

        A malformed mapping raises pydantic.ValidationError: that is a bug in the caller, not in an app.
        """
        self.hub.publish_status(status)

    async def events(self) -> AsyncIterator[AppEvent]:
        """Sessions, markers and pain ratings newly recorded, in commit order, until the server closes."""
        assert self.hub.recorder is not None, "start the server first"
        async for event in self.hub.recorder.events():
            yield event

    @property
    def client_count(self) -> int:
        return len(self.hub.links)

    def stats(self) -> dict[str, Any]:
        return self.hub.stats()

    # -- connections ------------------------------------------------------------------

    async def _accept_unix(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        creds = peer_credentials(writer.get_extra_info("socket"))
        link = ClientLink(self.hub, reader, writer, peer=creds.describe())
        if not self._allowlist.allows(creds):
            link.refuse("forbidden", f"peer {creds.describe()} is not on the allowlist")
        await self._serve(link)

    async def _accept_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        await self._serve(ClientLink(self.hub, reader, writer, peer=f"tcp {host}:{port}", token=self._token))

    async def _serve(self, link: ClientLink) -> None:
        if self._closed:
            link.writer.transport.abort()
            return
        if len(self._links) >= self.options.max_clients:
            link.refuse("busy", f"the agent serves at most {self.options.max_clients} clients")
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._links.add(link)
        self.hub.counters["connections"] += 1
        try:
            await link.run()
        except Exception:  # a bug in one link must not take the server down
            self.log.exception("vrlink.link_failed", client_id=link.client_id)
        finally:
            self._links.discard(link)
            self._tasks.discard(task)

    async def _heartbeats(self) -> None:
        clock = self.hub.wall  # heartbeat_s is in real seconds, whatever --speed is
        while True:
            await clock.sleep(self.options.heartbeat_s)
            self.hub.heartbeat()

    # -- the socket file ----------------------------------------------------------------

    def _bind_unix(self) -> socket.socket:
        path = self.options.socket_path
        if len(os.fsencode(path)) > _SUN_PATH_MAX:
            raise ConfigError(
                f"vrlink.socket_path: {path} is longer than {_SUN_PATH_MAX} bytes", field="vrlink.socket_path"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(os.fspath(path))
            # Nobody can connect before listen(), which start_unix_server calls: set access first.
            os.chmod(path, self.options.socket_mode)
            if self.options.socket_group is not None:
                os.chown(path, -1, group_id(self.options.socket_group, "vrlink.socket_group"))
        except OSError as exc:
            sock.close()
            raise ConfigError(f"vrlink.socket_path: cannot create {path}: {exc}", field="vrlink.socket_path") from exc
        except ConfigError:
            sock.close()
            raise
        self._socket_inode = path.stat().st_ino
        sock.setblocking(False)
        return sock

    def _unlink_socket(self) -> None:
        path = self.options.socket_path
        with contextlib.suppress(OSError):
            if self._socket_inode is not None and path.lstat().st_ino == self._socket_inode:
                path.unlink()  # only our own socket: another agent may have replaced it


def _remove_stale_socket(path: Path) -> None:
    """A socket file left by a crash is removed; one that still answers means another agent is running."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"vrlink.socket_path: {path} exists and is not a socket", field="vrlink.socket_path")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    finally:
        probe.close()
    raise AgentAlreadyRunning(f"vrlink.socket_path: another process is listening on {path}",
                              field="vrlink.socket_path")
