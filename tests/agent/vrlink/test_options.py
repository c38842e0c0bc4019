"""The [vrlink] config table."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pydantic
import pytest

from agent.outputs.vrlink.options import DEFAULT_SOCKET_PATH, TcpOptions, VrLinkOptions

TOKEN = "0123456789abcdef0123"


def test_defaults() -> None:
    opts = VrLinkOptions()
    assert opts.socket_path == DEFAULT_SOCKET_PATH == Path("/run/edge-agent/vr.sock")
    assert opts.socket_mode == 0o660
    assert opts.tcp is None


def test_from_toml() -> None:
    raw = tomllib.loads(
        f"""
        socket_path = "/tmp/x/vr.sock"
        socket_mode = 0o640
        socket_group = "vrapp"
        allow_users = ["vrapp", 1001]
        [tcp]
        port = 7451
        token = "{TOKEN}"
        """
    )
    opts = VrLinkOptions.model_validate(raw)
    assert opts.socket_mode == 0o640 and opts.allow_users == ("vrapp", 1001)
    assert opts.tcp is not None and opts.tcp.read_token() == TOKEN
    assert TOKEN not in repr(opts)  # the token never reaches a log line


def test_mode_as_octal_string() -> None:
    assert VrLinkOptions(socket_mode="0660").socket_mode == 0o660  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="octal"):
        VrLinkOptions(socket_mode="rw-rw----")  # type: ignore[arg-type]


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        VrLinkOptions.model_validate({"sokcet_path": "/tmp/vr.sock"})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_tcp_listens_on_loopback_only(host: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="loopback"):
        TcpOptions(host=host, token=TOKEN)


def test_tcp_needs_exactly_one_strong_token(tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError, match="exactly one"):
        TcpOptions()
    with pytest.raises(pydantic.ValidationError, match="16 characters"):
        TcpOptions(token="short")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert TcpOptions(host="::1", token_file=token_file).read_token() == TOKEN
