"""The signed manifest of a model update (format 1), as SWUpdate signs its ``sw-description``.

The signed envelope is JSON::

    {"format": "edge-agent-model-manifest/1",
     "manifest": "<base64 of the manifest's JSON bytes>",
     "signatures": [{"key_id": "<16 hex>", "ed25519": "<base64 signature of those bytes>"}]}

The signature covers the exact manifest bytes, so no canonical JSON is
needed. The manifest names the model, a monotonic integer ``version``, its
expiry, the feature contract it expects and every file with its SHA-256 and
size; a model is a directory of exactly those files. :func:`verify` checks
the envelope against the device's trusted keys and returns the manifest, or
raises :class:`~agent.errors.UpdateRefused` saying why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

from agent.errors import UpdateRefused

if TYPE_CHECKING:  # cryptography (8 MB resident) loads when a signature is made or checked, not at every start
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ENVELOPE_FORMAT = "edge-agent-model-manifest/1"
MAX_ENVELOPE_BYTES = 64 * 1024  # bounds what a device parses from the broker before any signature check
MANIFEST_NAME = "manifest.json"  # the signed envelope kept beside the files of an installed version
_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class FileEntry(_Strict):
    name: str = pydantic.Field(pattern=_FILE_NAME)
    sha256: str = pydantic.Field(pattern=r"^[0-9a-f]{64}$")
    size: int = pydantic.Field(ge=1)  # an empty retained chunk would clear its topic


class Contract(_Strict):
    """What the model reads: the normalisation and each feature with its unit."""

    normalisation: str
    features: tuple[tuple[str, str], ...]


class Manifest(_Strict):
    format: int = 1
    model_id: str = pydantic.Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    version: int = pydantic.Field(ge=1, description="monotonic: a device refuses anything not above what it runs")
    label: str = pydantic.Field(max_length=64, description="the model's own version, as it reports itself")
    created: float
    expires: float
    chunk_size: int = pydantic.Field(ge=1024, le=1 << 20)
    contract: Contract
    files: tuple[FileEntry, ...] = pydantic.Field(min_length=1, max_length=64)
    url: str | None = pydantic.Field(None, pattern=r"^https?://[^\s]+$", max_length=512,
                                     description="files at {url}/{name} over HTTP(S) instead of MQTT chunks")

    @pydantic.model_validator(mode="after")
    def _unique_names(self) -> Manifest:
        names = [f.name for f in self.files]
        if len(set(names)) != len(names) or MANIFEST_NAME in names:
            raise ValueError(f"file names must be unique and not {MANIFEST_NAME!r}: {names}")
        return self

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def chunks(self, entry: FileEntry) -> int:
        return max(1, -(-entry.size // self.chunk_size))


def describe(directory: Path, *, model_id: str, version: int, label: str, contract: Contract,
             expires_in_s: float, chunk_size: int = 64 * 1024, now: float | None = None,
             url: str | None = None) -> Manifest:
    """The manifest of every regular file in ``directory`` (the backend side)."""
    now = time.time() if now is None else now
    files = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.name != MANIFEST_NAME):
        files.append(FileEntry(name=path.name, sha256=file_sha256(path), size=path.stat().st_size))
    return Manifest(model_id=model_id, version=version, label=label, created=now, expires=now + expires_in_s,
                    chunk_size=chunk_size, contract=contract, files=tuple(files), url=url)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def sign(manifest: Manifest, keys: list[Ed25519PrivateKey]) -> bytes:
    """The signed envelope: one signature per key (two during a rotation)."""
    from agent.runtime.updates.keys import key_id

    body = manifest.model_dump_json().encode()
    signatures = [{"key_id": key_id(k.public_key()), "ed25519": base64.b64encode(k.sign(body)).decode()} for k in keys]
    envelope = {"format": ENVELOPE_FORMAT, "manifest": base64.b64encode(body).decode(), "signatures": signatures}
    return json.dumps(envelope, indent=1).encode()


def unverified(envelope: bytes) -> Manifest:
    """The manifest inside an envelope this device verified before (an installed version's own copy)."""
    try:
        return Manifest.model_validate_json(base64.b64decode(json.loads(envelope)["manifest"], validate=True))
    except (ValueError, KeyError, TypeError, binascii.Error, pydantic.ValidationError) as exc:
        raise UpdateRefused("malformed", f"unreadable stored manifest: {exc}") from None


def digest(envelope: bytes) -> str:
    return hashlib.sha256(envelope).hexdigest()[:16]


def verify(envelope: bytes, trusted: dict[str, Ed25519PublicKey], *, now: float | None = None) -> Manifest:
    """The manifest, if a trusted key signed exactly these bytes and it has not expired."""
    from cryptography.exceptions import InvalidSignature

    if len(envelope) > MAX_ENVELOPE_BYTES:
        raise UpdateRefused("malformed", f"manifest envelope of {len(envelope)} bytes, more than {MAX_ENVELOPE_BYTES}")
    try:
        outer = json.loads(envelope)
        if not isinstance(outer, dict) or outer.get("format") != ENVELOPE_FORMAT:
            raise ValueError(f"not a {ENVELOPE_FORMAT} envelope")
        body = base64.b64decode(outer["manifest"], validate=True)
        signatures = [(s["key_id"], base64.b64decode(s["ed25519"], validate=True)) for s in outer["signatures"]]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise UpdateRefused("malformed", f"unreadable manifest envelope: {exc}") from None
    if not trusted:
        raise UpdateRefused("untrusted", "no trusted model keys on this device; install one: edge-agent models trust KEY.pub")
    known = [(kid, sig) for kid, sig in signatures if kid in trusted]
    if not known:
        ids = ", ".join(kid for kid, _ in signatures) or "none"
        raise UpdateRefused("untrusted", f"manifest signed by keys {ids}, none of them trusted here ({', '.join(trusted)})")
    for kid, sig in known:
        try:
            trusted[kid].verify(sig, body)
            break
        except InvalidSignature:
            continue
    else:
        raise UpdateRefused("signature", f"bad signature by key {known[0][0]}: the manifest was altered or mis-signed")
    try:
        manifest = Manifest.model_validate_json(body)
    except pydantic.ValidationError as exc:
        raise UpdateRefused("malformed", f"signed manifest does not validate: {exc.error_count()} errors: "
                            f"{exc.errors(include_url=False, include_input=False)[:2]}") from None
    now = time.time() if now is None else now
    if manifest.expires <= now:
        raise UpdateRefused("expired", f"manifest of version {manifest.version} expired "
                            f"{now - manifest.expires:.0f} s ago", version=manifest.version)
    return manifest
