"""A throwaway local PostgreSQL for tests and benchmarks (a fake that is real: the actual server).

``initdb`` and ``pg_ctl`` from the Debian ``postgresql`` package, a data
directory in a fresh temporary folder, TCP on a free loopback port, trust
authentication for loopback only. PostgreSQL refuses to run as root, so
as root the server runs as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tools.harness.local_broker import free_port

SERVER_USER = "postgres"


def _bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return found


class LocalPostgres:
    """One server; ``dsn(db)`` for a database in it, ``create_database`` for a fresh one."""

    def __init__(self, *, durable: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="edge-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.durable = durable  # False: no fsync (tests); True: as a production server commits (benchmarks)
        self._as_root = os.geteuid() == 0
        if self._as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    def _run(self, *args: str) -> None:
        cmd = (["runuser", "-u", SERVER_USER, "--"] if self._as_root else []) + list(args)
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.dir)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({out.returncode}): {out.stderr[-2000:]}{self.log()}")

    def start(self) -> None:
        self._run(_bin("initdb"), "-D", str(self.data), "-U", SERVER_USER, "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "server.log"
        return "\n" + path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]  # a name we made, not input
        return self.dsn(name)
