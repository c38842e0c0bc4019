"""hypothesis against the server over a real socket.

The server runs in its own thread and event loop for the whole module, so
hypothesis can drive it example after example with plain blocking sockets.
A canary client stays connected throughout and must keep receiving
adaptations whatever the fuzzed clients do.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.base.clock import Clock
from agent.outputs.vrlink.frames import FrameDecoder, FrameError, encode_frame
from agent.outputs.vrlink.messages import AGENT_MESSAGES, ErrorMessage, parse
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.server import VrLinkServer

from .conftest import adaptation

MAX_ERRORS = 6
MAX_FRAME = 4096
TIMEOUT_S = 5.0


class ThreadedServer:
    def __init__(self, options: VrLinkOptions) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = VrLinkServer(options, Clock())
        self.seq = 0
        self._thread = threading.Thread(target=self.loop.run_forever, name="vrlink-fuzz-server", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        self.call(self.server.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT_S)
        self.loop.close()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT_S)

    def publish(self) -> int:
        self.seq += 1

        async def publish(seq: int) -> None:
            self.server.publish_adaptation(adaptation(seq))

        self.call(publish(self.seq))
        return self.seq

    def stats(self) -> dict[str, Any]:
        async def stats() -> dict[str, Any]:
            return self.server.stats()

        return self.call(stats())  # type: ignore[no-any-return]


class BlockingPeer:
    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT_S)
        self.sock.connect(str(path))
        self.decoder = FrameDecoder(1 << 20)
        self.pending: list[Any] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def hello(self, capabilities: tuple[str, ...] = ("events",)) -> None:
        self.send(
            encode_frame({"type": "hello", "versions": [1], "client": "fuzz", "capabilities": list(capabilities)})
        )
        assert self.recv()["type"] == "welcome"

    def recv(self) -> Any:
        """The next frame that is not a heartbeat; None at end of stream."""
        while True:
            while not self.pending:
                data = self.sock.recv(65536)
                if not data:
                    return None
                self.pending.extend(self.decoder.feed(data))
            item = self.pending.pop(0)
            assert not isinstance(item, FrameError), item
            if item.get("type") != "heartbeat":
                return item

    def recv_all(self) -> list[Any]:
        out = []
        while (item := self.recv()) is not None:
            out.append(item)
        return out

    def close(self) -> None:
        self.sock.close()


@dataclass
class Fixture:
    server: ThreadedServer
    canary: BlockingPeer


@pytest.fixture(scope="module")
def fuzz() -> Iterator[Fixture]:
    directory = Path(tempfile.mkdtemp(prefix="vr-fuzz-", dir="/tmp"))
    options = VrLinkOptions(
        socket_path=directory / "vr.sock",
        max_frame_bytes=MAX_FRAME,
        max_client_errors=MAX_ERRORS,
        heartbeat_s=3600.0,
        idle_timeout_s=3600.0,  # the canary only listens, for as long as the module runs on a loaded machine
    )
    try:
        with ThreadedServer(options) as server:
            canary = BlockingPeer(server.server.socket_path)
            canary.hello(capabilities=("adaptation",))
            # One session open throughout: markers without a session_id are recorded in it.
            starter = BlockingPeer(server.server.socket_path)
            starter.hello()
            starter.send(encode_frame({"type": "session_start", "id": 0, "session_id": "fuzz", "protocol_id": "p",
                                       "scene_id": "s"}))
            assert starter.recv()["type"] == "ack"
            starter.close()
            try:
                yield Fixture(server, canary)
            finally:
                canary.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def assert_canary_still_served(fx: Fixture) -> None:
    seq = fx.server.publish()
    assert fx.canary.recv()["seq"] == seq


# -- a stream of frames whose correct responses are known ---------------------------


@dataclass(frozen=True)
class Step:
    data: bytes
    reply: tuple[str, str | None, Any] | None  # (type, error code, echoed id) the server must send
    error: bool = False  # spends one unit of the error budget
    fatal: bool = False  # the server answers, then closes
    notice: str | None = None  # an unknown type: its reply is sent only the first time the type appears


def framed(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
ids = st.one_of(int64, st.text(max_size=8))
labels = st.text(min_size=1, max_size=64)

good_event = st.builds(
    lambda i, label: Step(encode_frame({"type": "marker", "id": i, "label": label}), ("ack", None, i)), ids, labels
)
silent_event = st.builds(lambda label: Step(encode_frame({"type": "marker", "label": label}), None), labels)
heartbeat = st.just(Step(encode_frame({"type": "heartbeat", "t": 1.0}), None))
wrong_type = st.builds(
    lambda i, nrs: Step(
        encode_frame({"type": "pain_rating", "id": i, "session_id": "s", "nrs": nrs, "phase": "before"}),
        ("error", "invalid_message", i),
        error=True,
    ),
    ids,
    st.one_of(st.text(max_size=3), st.floats(), st.booleans(), int64.filter(lambda n: not 0 <= n <= 10)),
)
unknown = st.builds(
    lambda t, i: Step(encode_frame({"type": t, "id": i}), ("error", "unknown_type", i), notice=t),
    st.text(max_size=10).filter(
        lambda t: t not in {"hello", "session_start", "session_end", "marker", "pain_rating", "heartbeat"}
    ),
    ids,
)
not_a_map = st.builds(
    lambda v: Step(framed(msgpack.packb(v)), ("error", "bad_message", None), error=True),
    st.one_of(int64, st.text(max_size=8), st.lists(int64, max_size=3), st.none()),
)
garbage = st.builds(
    lambda tail: Step(framed(b"\xc1" + tail), ("error", "bad_frame", None), error=True), st.binary(max_size=32)
)
oversized = st.builds(
    lambda n: Step(n.to_bytes(4, "big"), ("error", "frame_too_large", None), fatal=True),
    st.integers(min_value=MAX_FRAME + 1, max_value=2**32 - 1),
)
steps = st.lists(st.one_of(good_event, silent_event, heartbeat, wrong_type, unknown, not_a_map, garbage), max_size=12)


def expected_replies(script: list[Step]) -> list[tuple[str, str | None, Any, bool]]:
    """The error policy of docs/vr-protocol.md, step by step."""
    out = []
    errors = 0
    noticed: set[str] = set()
    for step in script:
        if step.notice is not None:  # ignored, never an error; noticed once per type
            if step.notice not in noticed:
                noticed.add(step.notice)
                out.append((*step.reply, False))  # type: ignore[misc]
            continue
        errors += step.error
        if step.error and errors > MAX_ERRORS:  # the last straw; its id is echoed like any error's
            return [*out, ("error", "too_many_errors", step.reply[2] if step.reply else None, True)]
        if step.reply is not None:
            out.append((*step.reply, step.fatal))
        if step.fatal:
            return out
    return out


def actual(frame: dict[str, Any]) -> tuple[str, str | None, Any, bool]:
    if frame["type"] in ("ack", "welcome"):  # junk can, rarely, be a valid message
        return (frame["type"], None, frame.get("id"), False)
    error = parse(frame, AGENT_MESSAGES)
    assert isinstance(error, ErrorMessage)
    return ("error", error.code, error.id, error.fatal)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, ending=st.one_of(st.none(), oversized), cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_server_answers_every_frame_as_documented(
    fuzz: Fixture, script: list[Step], ending: Step | None, cuts: list[int]
) -> None:
    if ending is not None:
        script = [*script, ending]
    peer = BlockingPeer(fuzz.server.server.socket_path)
    try:
        peer.hello()
        stream = b"".join(s.data for s in script)
        points = sorted({c % (len(stream) + 1) for c in cuts})
        for a, b in zip([0, *points], [*points, len(stream)], strict=True):
            peer.send(stream[a:b])  # however the bytes are split, the answers are the same
        peer.sock.shutdown(socket.SHUT_WR)  # end of stream: the server answers what it has, then closes
        assert [actual(f) for f in peer.recv_all()] == expected_replies(script)
    finally:
        peer.close()
    assert_canary_still_served(fuzz)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(min_size=1, max_size=256), after_hello=st.booleans())
def test_arbitrary_bytes_get_only_error_frames(fuzz: Fixture, junk: bytes, after_hello: bool) -> None:
    peer = BlockingPeer(fuzz.server.server.socket_path)
    try:
        if after_hello:
            peer.hello()
        peer.send(junk)
        peer.sock.shutdown(socket.SHUT_WR)
        replies = [actual(f) for f in peer.recv_all()]
    finally:
        peer.close()
    assert all(kind in {"error", "ack", "welcome"} for kind, *_ in replies)
    fatal = [r for r in replies if r[3]]
    assert len(fatal) <= 1 and (not fatal or replies[-1] == fatal[0])  # a fatal error is the last word
    if not after_hello:
        assert len(replies) <= 1  # before the hello, the first error ends the link
    assert_canary_still_served(fuzz)
