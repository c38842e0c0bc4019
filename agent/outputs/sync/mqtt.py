"""One MQTT 5 connection on asyncio, over paho-mqtt 2.x.

paho's network loop is driven from the event loop (``add_reader`` /
``add_writer`` plus a one-second ``loop_misc`` task), so every paho
callback runs on the event loop thread. Only the blocking TCP connect and
TLS handshake run in a worker thread.

A :class:`MqttLink` is one connection: connect, publish and await the
PUBACK, subscribe, receive, and learn that it is gone (``lost``). It does
not reconnect; the caller's loop does that visibly, with backoff, by making
a new link. The session lives on at the broker (``clean_start=False`` plus
a ``SessionExpiryInterval``), so that is cheap.

paho's own queue is memory only; durability is the outbox's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from agent.base.queues import BoundedQueue, Overflow
from agent.errors import SyncError
from agent.outputs.sync.tls import ClosingSSLContext

# CONNACK reason codes that mean "your credentials or identity are wrong", not "try again soon"
_AUTH_CODES = {0x85, 0x86, 0x87, 0x8A, 0x8C}


class SyncAuthError(SyncError):
    """The broker refused who we are: bad password, rejected certificate, untrusted broker certificate."""


class PublishRefused(SyncError):
    """The broker answered a publish with a failure reason (an ACL or quota): keep the record, back off."""


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    delay_s: int
    content_type: str


@dataclass(frozen=True)
class ConnectParams:
    host: str
    port: int
    client_id: str
    keepalive_s: int
    connect_timeout_s: float
    session_expiry_s: int
    receive_maximum: int
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None
    tls_server_name: str | None = None
    will: Will | None = None

    def __repr__(self) -> str:  # never print the password
        return f"ConnectParams({self.client_id!r} @ {self.host}:{self.port}, tls={self.tls is not None})"


class MqttLink:
    """A single MQTT 5 connection. Make a new one to reconnect."""

    def __init__(self, params: ConnectParams, *, manual_ack: bool = False, queue_capacity: int | None = None) -> None:
        self.params = params
        self.session_present = False
        self.server_receive_maximum = 65535
        self.messages: BoundedQueue[mqtt.MQTTMessage] = BoundedQueue(
            f"mqtt-in:{params.client_id}", queue_capacity or params.receive_maximum, Overflow.DROP_NEWEST
        )  # a broker should never have more than receive_maximum QoS>0 messages unacknowledged (see agent.backend.ingest)
        self._manual_ack = manual_ack
        self._client: mqtt.Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._connack: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[SyncError] | None = None
        self._pubacks: dict[int, asyncio.Future[None]] = {}
        self._subacks: dict[int, asyncio.Future[list[ReasonCode]]] = {}
        self._misc: asyncio.Task[None] | None = None
        self._sock: Any = None
        self._closed = False
        self._last_error = ""

    @property
    def where(self) -> str:
        return f"{self.params.host}:{self.params.port}"

    # -- connecting ----------------------------------------------------------

    async def connect(self) -> None:
        """Connect and wait for a successful CONNACK, or raise SyncError / SyncAuthError."""
        p = self.params
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._connack = self._loop.create_future()
        self.lost = self._loop.create_future()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=p.client_id, protocol=mqtt.MQTTv5,
                             manual_ack=self._manual_ack)
        self._client = client
        client.connect_timeout = p.connect_timeout_s
        if p.username is not None:
            client.username_pw_set(p.username, p.password)
        if p.tls is not None:
            client.tls_set_context(p.tls)
        if p.will is not None:
            props = Properties(PacketTypes.WILLMESSAGE)
            props.WillDelayInterval = p.will.delay_s
            props.ContentType = p.will.content_type
            client.will_set(p.will.topic, p.will.payload, qos=1, retain=True, properties=props)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_subscribe  # same shape: (mid, reason codes); UNSUBACKs share the futures
        client.on_message = self._on_message
        client.on_log = self._on_log
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_socket_register_write
        client.on_socket_unregister_write = self._on_socket_unregister_write
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = p.session_expiry_s
        props.ReceiveMaximum = p.receive_maximum
        blocking = self._loop.run_in_executor(
            None, lambda: client.connect(p.host, p.port, p.keepalive_s, clean_start=False, properties=props)
        )
        try:
            async with asyncio.timeout(p.connect_timeout_s):
                await asyncio.shield(blocking)
                await self._connack
        except TimeoutError:
            self.close()
            raise SyncError(
                f"no CONNACK from {self.where} within {p.connect_timeout_s:g} s"
                f"{self._tls_hint()}{self._last_error_suffix()}"
            ) from None
        except SyncError:  # a refusing CONNACK; SyncError is an OSError, so it must come first
            self.close()
            raise
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise SyncAuthError(f"TLS to {self.where}: the broker's certificate is not trusted by the pinned CA "
                                f"({exc.verify_message})") from exc
        except ssl.SSLError as exc:
            self.close()
            raise SyncAuthError(f"TLS handshake with {self.where} failed: {exc.reason or exc}") from exc
        except OSError as exc:
            self.close()
            raise SyncError(f"cannot reach broker {self.where}: {exc.strerror or exc}") from exc
        except BaseException:
            self.close()
            raise

    def _tls_hint(self) -> str:
        return " (with TLS this is what a client certificate the broker refuses looks like)" if self.params.tls else ""

    def _last_error_suffix(self) -> str:
        return f"; last error: {self._last_error}" if self._last_error else ""

    # -- using ---------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False,
                properties: Properties | None = None) -> asyncio.Future[None]:
        """Send; the future completes on PUBACK (QoS 1) or fails with SyncError."""
        assert self._loop is not None and self._client is not None, "publish before connect"
        fut: asyncio.Future[None] = self._loop.create_future()
        if self.lost is not None and self.lost.done():
            fut.set_exception(self.lost.result())
            return fut
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            fut.set_exception(SyncError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}"))
        elif qos == 0:
            fut.set_result(None)
        else:
            self._pubacks[info.mid] = fut
        return fut

    async def subscribe(self, filters: list[str], qos: int = 1) -> None:
        assert self._loop is not None and self._client is not None, "subscribe before connect"
        rc, mid = self._client.subscribe([(f, qos) for f in filters])
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise SyncError(f"subscribe failed: {mqtt.error_string(rc)}")
        fut: asyncio.Future[list[ReasonCode]] = self._loop.create_future()
        self._subacks[mid] = fut
        codes = await fut
        refused = [f for f, code in zip(filters, codes, strict=False) if code.is_failure]
        if refused:
            raise SyncAuthError(f"broker {self.where} refused the subscriptions {refused}: {[str(c) for c in codes]}")

    async def unsubscribe(self, filters: list[str]) -> None:
        assert self._loop is not None and self._client is not None, "unsubscribe before connect"
        rc, mid = self._client.unsubscribe(filters)
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise SyncError(f"unsubscribe failed: {mqtt.error_string(rc)}")
        fut: asyncio.Future[list[ReasonCode]] = self._loop.create_future()
        self._subacks[mid] = fut
        await fut

    def ack(self, message: mqtt.MQTTMessage) -> None:
        """Acknowledge a received message (with ``manual_ack``), after it is safely stored."""
        if self._client is not None and message.qos > 0:
            self._client.ack(message.mid, message.qos)

    async def disconnect(self) -> None:
        """Send DISCONNECT (the broker then drops our Will) and close."""
        if self._client is not None and self.lost is not None and not self.lost.done():
            self._client.disconnect()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await asyncio.shield(self.lost)
        self.close()

    def abort(self, error: SyncError) -> None:
        """Give up on this connection (e.g. a publish the broker refused)."""
        self._lose(error)
        self.close()

    def close(self) -> None:
        """Drop the socket at once, with no DISCONNECT (the Will stays armed)."""
        self._closed = True
        if isinstance(self.params.tls, ClosingSSLContext):
            self.params.tls.close_wrapped()
        self._unregister()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._lose(SyncError(f"connection to {self.where} closed"))
        if self._misc is not None:
            self._misc.cancel()
            self._misc = None

    # -- paho callbacks (all on the event loop thread once connected) --------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        fut = self._connack
        if fut is None or fut.done():
            return
        if reason.is_failure:
            auth = reason.value in _AUTH_CODES
            hint = "; check the username and password file, or the client certificate" if auth else ""
            cls = SyncAuthError if auth else SyncError
            fut.set_exception(cls(f"broker {self.where} refused the connection: {reason} (CONNACK 0x{reason.value:02X}){hint}"))
            return
        self.session_present = bool(flags.session_present)
        if props is not None and hasattr(props, "ReceiveMaximum"):
            self.server_receive_maximum = int(props.ReceiveMaximum)
        fut.set_result(None)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        why = f"{reason}" + self._last_error_suffix()
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(SyncError(f"broker {self.where} closed the connection before CONNACK: {why}"
                                                  f"{self._tls_hint()}"))
        self._lose(SyncError(f"lost connection to {self.where}: {why}"))

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any) -> None:
        fut = self._pubacks.pop(mid, None)
        if fut is None or fut.done():
            return
        if reason.is_failure:
            fut.set_exception(PublishRefused(f"broker {self.where} refused a publish: {reason} (PUBACK 0x{reason.value:02X})"))
        else:
            fut.set_result(None)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: list[ReasonCode], props: Any) -> None:
        fut = self._subacks.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(list(codes))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put(message)

    def _on_log(self, client: mqtt.Client, userdata: Any, level: int, buf: str) -> None:
        if level == mqtt.MQTT_LOG_ERR:
            self._last_error = buf

    def _lose(self, error: SyncError) -> None:
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(error)
        for fut in [*self._pubacks.values(), *self._subacks.values()]:
            if not fut.done():
                fut.set_exception(error)
        self._pubacks.clear()
        self._subacks.clear()
        self.messages.close()

    # -- socket plumbing: paho's loop driven by asyncio ----------------------

    def _in_loop(self, fn: Callable[..., None], *args: Any) -> None:
        assert self._loop is not None
        if threading.get_ident() == self._loop_thread:
            fn(*args)
        elif self._loop.is_closed():
            return  # paho's __del__ closing a socket from whatever thread the garbage collector ran in
        else:  # the blocking connect runs in a worker thread
            self._loop.call_soon_threadsafe(fn, *args)

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._in_loop(self._register, sock)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._in_loop(self._unregister)

    def _on_socket_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._in_loop(self._want_write, sock, True)

    def _on_socket_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._in_loop(self._want_write, sock, False)

    def _register(self, sock: Any) -> None:
        assert self._loop is not None
        if self._closed:
            with contextlib.suppress(OSError):
                sock.close()
            return
        self._sock = sock
        self._loop.add_reader(sock, self._readable)
        if self._client is not None and self._client.want_write():
            self._loop.add_writer(sock, self._writable)
        self._misc = self._loop.create_task(self._misc_loop(), name=f"mqtt-misc:{self.params.client_id}")

    def _unregister(self) -> None:
        if self._sock is not None and self._loop is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._sock)
                self._loop.remove_writer(self._sock)

    def _want_write(self, sock: Any, on: bool) -> None:
        if self._closed or self._loop is None or sock is not self._sock:
            return
        with contextlib.suppress(ValueError, OSError):
            if on:
                self._loop.add_writer(sock, self._writable)
            else:
                self._loop.remove_writer(sock)

    def _readable(self) -> None:
        client, sock = self._client, self._sock
        if client is None:
            return
        client.loop_read()
        # TLS can hold decrypted bytes the selector cannot see: drain them now
        while sock is not None and sock is self._sock and getattr(sock, "pending", lambda: 0)() > 0:
            client.loop_read()

    def _writable(self) -> None:
        if self._client is not None:
            self._client.loop_write()

    async def _misc_loop(self) -> None:
        while self._client is not None and not self._closed:
            if self._client.loop_misc() != mqtt.MQTT_ERR_SUCCESS:
                return
            await asyncio.sleep(1.0)  # keepalive pings and timeouts have one-second resolution in paho anyway
