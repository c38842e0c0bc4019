"""Typed options of the VR link: the ``[vrlink]`` table of the agent config.

Example::

    [vrlink]
    socket_path = "/run/edge-agent/vr.sock"
    socket_mode = 0o660
    socket_group = "vrapp"          # group that owns the socket file
    allow_users = ["vrapp"]         # peers (SO_PEERCRED uid) that may connect
    allow_groups = ["vrapp"]        # ...or whose primary/supplementary groups match

    [vrlink.tcp]                    # optional: for a headset reaching the companion over a forwarded port
    port = 7451
    token_file = "/etc/edge-agent/vr-token"
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pydantic

DEFAULT_SOCKET_PATH = Path("/run/edge-agent/vr.sock")


class _Options(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class TcpOptions(_Options):
    """A loopback TCP listener; the hello must carry the token, since TCP has no peer credentials."""

    host: str = "127.0.0.1"
    port: int = pydantic.Field(default=7451, ge=0, le=65535)  # 0: any free port (tests)
    token: pydantic.SecretStr | None = None
    token_file: Path | None = None

    @pydantic.field_validator("host")
    @classmethod
    def _loopback_only(cls, v: str) -> str:
        try:
            loopback = ipaddress.ip_address(v).is_loopback
        except ValueError:
            raise ValueError(f"host must be a loopback IP address such as 127.0.0.1 or ::1, got {v!r}") from None
        if not loopback:
            # The token is sent in clear text: never listen beyond this machine.
            raise ValueError(f"host must be a loopback address (127.0.0.1 or ::1), got {v!r}")
        return v

    @pydantic.model_validator(mode="after")
    def _one_token(self) -> TcpOptions:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("set exactly one of token or token_file")
        if self.token is not None and len(self.token.get_secret_value()) < 16:
            raise ValueError("token must be at least 16 characters")
        return self

    def read_token(self) -> str:
        """The shared token; a token file is read at start so a missing file fails early."""
        if self.token is not None:
            return self.token.get_secret_value()
        assert self.token_file is not None
        token = self.token_file.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise ValueError(f"{self.token_file}: token must be at least 16 characters")
        return token


class VrLinkOptions(_Options):
    """Where the VR link listens, who may connect, and its limits."""

    enabled: bool = True
    socket_path: Path = DEFAULT_SOCKET_PATH
    socket_mode: int = pydantic.Field(default=0o660, ge=0, le=0o777)
    socket_group: str | int | None = None  # None: the agent's own group
    # Peers are checked by SO_PEERCRED; an empty allowlist with allow_self=False admits nobody.
    allow_self: bool = True  # the agent's own uid (the service user, and vr-tail run as it)
    allow_users: tuple[str | int, ...] = ()
    allow_groups: tuple[str | int, ...] = ()
    tcp: TcpOptions | None = None

    max_frame_bytes: int = pydantic.Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    max_clients: int = pydantic.Field(default=128, ge=1)
    heartbeat_s: float = pydantic.Field(default=1.0, gt=0)  # agent -> app heartbeat interval
    hello_timeout_s: float = pydantic.Field(default=5.0, gt=0)
    idle_timeout_s: float = pydantic.Field(default=10.0, gt=0)  # close an app silent this long
    max_client_errors: int = pydantic.Field(default=16, ge=1)  # bad frames before the link is closed
    control_queue: int = pydantic.Field(default=64, ge=4)  # acks/errors queued per client
    event_queue: int = pydantic.Field(default=1024, ge=1)  # app events waiting for the agent

    @pydantic.field_validator("socket_mode", mode="before")
    @classmethod
    def _octal_string(cls, v: object) -> object:
        # TOML has 0o660, but "0660" is what people write.
        if isinstance(v, str):
            try:
                return int(v, 8)
            except ValueError:
                raise ValueError(f'socket_mode must be an octal mode such as 0o660 or "0660", got {v!r}') from None
        return v
