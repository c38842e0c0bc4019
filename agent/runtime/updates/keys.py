"""Ed25519 keys for model manifests: the device trusts public keys, the backend holds private ones.

A public key file (``*.pub``) holds the raw 32-byte key in base64 on one
line, or a PEM ``PUBLIC KEY``. A key's id is the first 16 hex digits of the
SHA-256 of its raw bytes, so a signature names the key that made it and a
device can trust several keys at once (rotation: trust the new key, sign
with it, then retire the old one). Private keys are PEM (PKCS#8) files of
mode 0600 and never belong on a device.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agent.errors import ConfigError


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(key)).hexdigest()[:16]


def public_text(key: Ed25519PublicKey) -> str:
    """The one-line form of a ``*.pub`` file."""
    return base64.b64encode(raw_public(key)).decode() + "\n"


def parse_public(data: bytes, source: str) -> Ed25519PublicKey:
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
            if not isinstance(key, Ed25519PublicKey):
                raise ConfigError(f"{source}: not an Ed25519 public key", source=source)
            return key
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"{source}: not an Ed25519 public key (base64 of 32 bytes, or PEM): {exc}",
                          source=source) from None


def load_trusted(directory: Path) -> dict[str, Ed25519PublicKey]:
    """Every ``*.pub`` in ``directory`` by key id; an unreadable key is a ConfigError (never silently skipped)."""
    keys: dict[str, Ed25519PublicKey] = {}
    if not directory.is_dir():
        return keys
    for path in sorted(directory.glob("*.pub")):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the trusted key: {exc.strerror}", source=str(path)) from None
        key = parse_public(data, str(path))
        keys[key_id(key)] = key
    return keys


def install_trusted(directory: Path, sources: list[Path]) -> list[Path]:
    """Copy public keys into ``directory`` as ``{key_id}.pub`` (mode 0644); checked before anything is written."""
    keys = [parse_public(p.read_bytes(), str(p)) for p in sources]
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key in keys:
        path = directory / f"{key_id(key)}.pub"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(public_text(key))
        os.chmod(tmp, 0o644)
        tmp.replace(path)
        written.append(path)
    return written


def generate(private_path: Path) -> tuple[Path, str]:
    """A new key pair: the private key (PEM, 0600) at ``private_path``, the public one beside it as ``.pub``."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public = private_path.with_suffix(".pub")
    public.write_text(public_text(key.public_key()))
    return public, key_id(key.public_key())


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the signing key: {exc.strerror}", source=str(path)) from None
    if mode & 0o077:
        raise ConfigError(f"{path}: signing key has mode {mode:04o}; chmod 600 {path}", source=str(path))
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"{path}: not a PEM private key: {exc}", source=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 private key", source=str(path))
    return key
