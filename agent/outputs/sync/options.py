"""Typed options of the cloud link (the ``[sync]`` table) and of a broker connection.

Secrets never appear in the config itself: a password or private key is
named by a file path, and that file must be readable by its owner only
(mode 0600 or stricter), like ``ssh`` insists for its keys. Secrets are read
when a connection is made and never logged.
"""

from __future__ import annotations

import random
import re
import stat
from pathlib import Path
from typing import Annotated

import pydantic

from agent.base.backoff import Backoff
from agent.outputs.sync.tls import ClosingSSLContext, client_context

_TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _topic_id(value: str) -> str:
    """Site and device ids become topic levels: lowercase, no ``/``, ``+``, ``#`` or spaces."""
    if not _TOPIC_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid topic id: use 1-64 of a-z 0-9 _ - (starting with a letter or digit)")
    return value


def _secret_file(path: Path) -> Path:
    try:
        st = path.stat()
    except OSError as exc:
        raise ValueError(f"secret file {path} cannot be read: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"secret file {path} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ValueError(f"secret file {path} has mode {mode:04o}; it must be readable by its owner only: chmod 600 {path}")
    return path


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise ValueError(f"file {path} does not exist")
    return path


TopicId = Annotated[str, pydantic.AfterValidator(_topic_id)]
SecretFile = Annotated[Path, pydantic.AfterValidator(_secret_file)]
ExistingFile = Annotated[Path, pydantic.AfterValidator(_existing_file)]


class TlsOptions(pydantic.BaseModel):
    """TLS with a pinned CA (only this CA is trusted, not the system store) and an optional client certificate."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    ca_file: ExistingFile
    cert_file: ExistingFile | None = None
    key_file: SecretFile | None = None
    server_name: str | None = None  # name to verify in the broker's certificate, if not the host

    @pydantic.model_validator(mode="after")
    def _cert_and_key_together(self) -> TlsOptions:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("tls.cert_file and tls.key_file must be given together")
        return self

    def context(self) -> ClosingSSLContext:
        return client_context(self.ca_file, self.cert_file, self.key_file)


class BrokerOptions(pydantic.BaseModel):
    """How to reach and authenticate to an MQTT 5 broker."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    host: str = "localhost"
    port: int = pydantic.Field(default=8883, ge=1, le=65535)
    username: str | None = None
    password_file: SecretFile | None = None
    tls: TlsOptions | None = None
    keepalive_s: int = pydantic.Field(default=30, ge=1, le=65535)
    connect_timeout_s: float = pydantic.Field(default=10.0, gt=0)  # TLS with a refused client cert never CONNACKs
    session_expiry_s: int = pydantic.Field(default=7 * 86400, ge=1)  # > 0, or the broker drops the session at disconnect
    backoff_initial_s: float = pydantic.Field(default=1.0, gt=0)
    backoff_max_s: float = pydantic.Field(default=300.0, gt=0)

    def new_backoff(self, rng: random.Random | None = None) -> Backoff:
        """The reconnect backoff for this broker; wide jitter so a fleet does not reconnect in lockstep."""
        return Backoff(self.backoff_initial_s, max(self.backoff_max_s, self.backoff_initial_s), jitter=0.5, rng=rng)

    @pydantic.model_validator(mode="after")
    def _password_needs_user(self) -> BrokerOptions:
        if self.password_file is not None and self.username is None:
            raise ValueError("broker.password_file needs broker.username")
        return self

    def password(self) -> str | None:
        """Read the password now (first line, without its newline); never log it."""
        if self.password_file is None:
            return None
        text = _secret_file(self.password_file).read_text(encoding="utf-8")
        return text.splitlines()[0] if text else ""


class SyncOptions(pydantic.BaseModel):
    """The agent's link to the cloud backend (``[sync]``; the broker under ``[sync.broker]``)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    site: TopicId
    device: TopicId
    broker: BrokerOptions = BrokerOptions()
    client_id: str | None = None  # default "edge-{site}-{device}": fixed, so the broker keeps our session
    topic_prefix: TopicId = "v1"
    max_inflight: int = pydantic.Field(default=32, ge=1, le=65535)
    message_expiry_s: int = pydantic.Field(default=7 * 86400, ge=1)  # how long the broker may hold a summary
    will_delay_s: int = pydantic.Field(default=10, ge=0)  # a reconnect within this does not flap presence
    poll_s: float = pydantic.Field(default=5.0, gt=0)  # look for records written by other processes

    @property
    def mqtt_client_id(self) -> str:
        return self.client_id or f"edge-{self.site}-{self.device}"
