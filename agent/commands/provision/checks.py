"""Checks shared by ``provision`` (before writing) and ``check`` (the self-test).

- TLS files: the CA loads, the key matches the certificate, and the client
  certificate chains to that CA (the same verification a broker does,
  run in memory: a TLS handshake between two ``ssl`` objects over BIOs).
- The broker: a real MQTT CONNECT with the agent's own connection code and
  credentials, under another client id and with no persistent session, so
  a running agent's session is neither taken over nor polluted.
"""

from __future__ import annotations

import dataclasses
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from agent.outputs.sync.mqtt import MqttLink
from agent.outputs.sync.options import SyncOptions
from agent.outputs.sync.worker import connect_params


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where it is, and what to do about it."""

    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}\n    fix: {self.fix}"


def check_tls_files(ca: Path, cert: Path | None, key: Path | None, *, prefix: str = "broker") -> list[Problem]:
    problems = []
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(ca))
    except (ssl.SSLError, OSError) as exc:
        problems.append(Problem(f"{prefix}.ca_file", f"{ca} is not a readable PEM CA certificate ({_why(exc)})",
                                "use the CA certificate (PEM) your broker's operator gave you"))
        return problems
    if cert is None or key is None:
        if (cert is None) != (key is None):
            problems.append(Problem(f"{prefix}.cert_file", "a client certificate and its key must be given together",
                                    "give both --cert and --key, or neither"))
        return problems
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as exc:
        mismatch = "KEY_VALUES_MISMATCH" in str(exc) or "key values mismatch" in str(exc)
        message = f"{key} is not the private key of {cert}" if mismatch else f"cannot load {cert} with {key} ({_why(exc)})"
        problems.append(Problem(f"{prefix}.key_file" if mismatch else f"{prefix}.cert_file", message,
                                "give the certificate and the key that were issued together (PEM)"))
        return problems
    refused = _verify_client_cert(ca, cert, key)
    if refused is not None:
        problems.append(Problem(f"{prefix}.cert_file", f"{cert} is not accepted by the CA {ca}: {refused}",
                                "use a client certificate issued by this CA (or the CA that issued it), not expired"))
    return problems


def _why(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)


def _verify_client_cert(ca: Path, cert: Path, key: Path) -> str | None:
    """Verify ``cert`` against ``ca`` as a broker would: None if accepted, else OpenSSL's reason."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(cert), str(key))  # any identity will do: the client below does not check it
    server.verify_mode = ssl.CERT_REQUIRED
    server.load_verify_locations(cafile=str(ca))
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.load_cert_chain(str(cert), str(key))
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out, server_side=False)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(20):  # a TLS 1.3 handshake needs three flights; bounded in any case
        for name, end, out, peer_in in (("c", c, c_out, s_in), ("s", s, s_out, c_in)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLCertVerificationError as exc:
                    return exc.verify_message
                except ssl.SSLError as exc:
                    if name == "s":
                        return _why(exc)
                    done[name] = True  # the client learns of the server's refusal later; the server's error says why
            data = out.read()
            if data:
                peer_in.write(data)
        if done["s"]:
            try:  # with TLS 1.3 the server checks the client's certificate as it reads its Finished
                s.read(1)
            except ssl.SSLWantReadError:
                return None
            except ssl.SSLCertVerificationError as exc:
                return exc.verify_message
            except ssl.SSLError as exc:
                return _why(exc)
            return None
    return "the handshake did not complete"


async def probe_broker(options: SyncOptions, timeout_s: float) -> float:
    """CONNECT with the agent's credentials and DISCONNECT; seconds it took. Raises SyncError / SyncAuthError."""
    params = connect_params(options, will=None)
    params = dataclasses.replace(
        params,
        client_id=f"{params.client_id}-check",
        connect_timeout_s=min(timeout_s, params.connect_timeout_s),
        session_expiry_s=0,  # nothing left at the broker after we go
    )
    started = time.perf_counter()
    link = MqttLink(params)
    await link.connect()
    elapsed = time.perf_counter() - started
    await link.disconnect()
    return elapsed
