"""The TLS client context: a pinned CA, an optional client certificate, and sockets we can close.

paho does not close a TLS socket whose handshake failed (an untrusted broker
certificate, say), so a reconnect loop would leave one behind per attempt
until the garbage collector found it. The context remembers the sockets it
wrapped, and the connection closes them when it gives up.
"""

from __future__ import annotations

import contextlib
import ssl
from pathlib import Path
from typing import Any


class ClosingSSLContext(ssl.SSLContext):
    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        sock = super().wrap_socket(*args, **kwargs)
        self.__dict__.setdefault("wrapped", []).append(sock)
        return sock

    def close_wrapped(self) -> None:
        for sock in self.__dict__.pop("wrapped", []):
            with contextlib.suppress(OSError):
                sock.close()


def client_context(ca_file: Path, cert_file: Path | None, key_file: Path | None) -> ClosingSSLContext:
    """Trust only ``ca_file`` (not the system store), verify the host name, TLS 1.2 or newer."""
    ctx = ClosingSSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname by default
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=str(ca_file))
    if cert_file is not None and key_file is not None:
        ctx.load_cert_chain(str(cert_file), str(key_file))
    return ctx
