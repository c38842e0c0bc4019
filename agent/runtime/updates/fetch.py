"""Fetching a model's chunks over MQTT: a sliding window of per-chunk subscriptions.

Each chunk is a retained message on its own topic, so subscribing to a
chunk's topic makes the broker send it, and a device asks only for the
chunks it lacks: after a disconnect or a ``kill -9`` the download resumes
where the ``.have`` files say it stopped. At most ``window`` chunk topics
are subscribed at once and the link's Receive Maximum bounds what is in
flight, so memory stays at a few chunks whatever the model's size.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import paho.mqtt.client as mqtt

from agent.errors import SyncError
from agent.outputs.sync.mqtt import MqttLink
from agent.runtime.updates.manifest import Manifest
from agent.runtime.updates.store import Partial
from agent.runtime.updates.topics import chunk_topic, parse_chunk


class Download:
    def __init__(self, manifest: Manifest, staging: Path, prefix: str, window: int, stall_s: float = 30.0) -> None:
        self.manifest = manifest
        self.prefix = prefix
        self.window = window
        self.stall_s = stall_s
        self.parts = [Partial(staging, entry, manifest.chunk_size) for entry in manifest.files]
        self.waiting: dict[str, tuple[int, int]] = {}  # subscribed chunk topic -> (file, chunk)
        self._finished: list[str] = []  # topics to unsubscribe
        self._progress = asyncio.Event()
        self.stalls = 0
        self.written = 0  # chunks stored by this download
        self.duplicates = 0  # chunks that arrived again (in flight when a link dropped): at most a window's worth

    @property
    def done(self) -> bool:
        return all(p.done for p in self.parts)

    @property
    def have_bytes(self) -> int:
        return sum(min(p.entry.size, len(p.have) * p.chunk_size) for p in self.parts)

    def feed(self, message: mqtt.MQTTMessage) -> bool:
        """Store a chunk if it is one we asked for (True); anything else is ignored."""
        where = self.waiting.pop(message.topic, None)
        if where is None:
            parsed = parse_chunk(message.topic, self.prefix)
            if parsed is None or parsed[0] != self.manifest.model_id or parsed[1] != self.manifest.version:
                return False
            where = parsed[2], parsed[3]  # a late duplicate of a chunk we asked for before a reconnect
            if where[0] >= len(self.parts) or where[1] >= self.parts[where[0]].count:
                return False
        else:
            self._finished.append(message.topic)
        file_index, chunk = where
        part = self.parts[file_index]
        if chunk in part.have:
            self.duplicates += 1
        else:
            part.write(chunk, bytes(message.payload))
            self.written += 1
        self._progress.set()
        return True

    def _topic(self, file_index: int, chunk: int) -> str:
        return chunk_topic(self.prefix, self.manifest.model_id, self.manifest.version, file_index, chunk)

    def _next_missing(self, room: int) -> dict[str, tuple[int, int]]:
        want: dict[str, tuple[int, int]] = {}
        asked = set(self.waiting.values())
        for file_index, part in enumerate(self.parts):
            for chunk in part.missing():
                if len(want) >= room:
                    return want
                if (file_index, chunk) not in asked:
                    want[self._topic(file_index, chunk)] = (file_index, chunk)
        return want

    async def pump(self, link: MqttLink) -> None:
        """Fetch until complete; raises SyncError when the link is lost (call again with a new link)."""
        assert link.lost is not None
        self.waiting.clear()  # a new connection has no subscriptions
        self._finished.clear()
        while not self.done:
            if link.lost.done():
                raise link.lost.result()
            self._progress.clear()
            want = self._next_missing(self.window - len(self.waiting))
            if want:
                self.waiting.update(want)
                await link.subscribe(list(want))
            if self._finished:
                finished, self._finished = self._finished, []
                await link.unsubscribe(finished)
            if self.done:
                break
            if want or self._progress.is_set():
                continue
            progress = asyncio.ensure_future(self._progress.wait())
            try:
                done, _ = await asyncio.wait([progress, link.lost], timeout=self.stall_s,
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                progress.cancel()
            if not done:  # nothing came: the chunks may be published late; ask again (retained resend)
                self.stalls += 1
                stalled = list(self.waiting)
                if stalled:
                    await link.subscribe(stalled)
        if self._finished:
            with contextlib.suppress(SyncError):
                await link.unsubscribe(self._finished)
            self._finished = []
