"""Test helpers: a throwaway PKI made with the openssl CLI, and the local mosquitto with its TLS listener."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker, TlsFiles, free_port, wait_for_port

__all__ = ["PASSWORD", "USERNAME", "Broker", "Pki", "free_port", "wait_for_port"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _key(name: str, cwd: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", f"{name}.key", cwd=cwd)
    os.chmod(cwd / f"{name}.key", 0o600)


def _ca(name: str, cwd: Path) -> None:
    _key(name, cwd)
    _openssl("req", "-x509", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-days", "2", "-out", f"{name}.crt",
             cwd=cwd)


def _signed(name: str, ca: str, cn: str, cwd: Path, san: str | None = None) -> None:
    _key(name, cwd)
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr", cwd=cwd)
    ext = ["-extfile", f"{name}.ext"] if san else []
    if san:
        (cwd / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-days", "2", "-out", f"{name}.crt", *ext, cwd=cwd)


@dataclass(frozen=True)
class Pki:
    """ca signs the server and the good client; rogue-ca signs a client the broker must refuse."""

    dir: Path

    @classmethod
    def create(cls, d: Path) -> Pki:
        d.mkdir(parents=True, exist_ok=True)
        _ca("ca", d)
        _ca("rogue-ca", d)
        _signed("server", "ca", "localhost", d, san="DNS:localhost,IP:127.0.0.1")
        _signed("client", "ca", "edge-client", d)
        _signed("rogue-client", "rogue-ca", "edge-client", d)
        return cls(d)

    def path(self, name: str) -> Path:
        return self.dir / name


class Broker(LocalBroker):
    def __init__(self, workdir: Path, pki: Pki) -> None:
        super().__init__(workdir, TlsFiles(pki.path("ca.crt"), pki.path("server.crt"), pki.path("server.key")))
        self.pki = pki
