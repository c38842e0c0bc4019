"""The backend side of delivery: publish a signed model's chunks and its manifest, retained.

Chunks go first, the manifest last, so a device that sees the manifest
finds every chunk already there. Publishing an empty retained message to
the manifest topic withdraws an offer; :func:`withdraw_chunks` clears an
old version's chunks from the broker once no device needs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from agent.errors import UpdateRefused
from agent.outputs.sync.mqtt import MqttLink
from agent.runtime.updates.manifest import Manifest, file_sha256, unverified
from agent.runtime.updates.topics import chunk_topic, manifest_topic

MAX_INFLIGHT = 16


def check_files(manifest: Manifest, model_dir: Path) -> None:
    """Refuse to publish files that do not match the manifest (a stale directory, a wrong version)."""
    for entry in manifest.files:
        path = model_dir / entry.name
        if not path.is_file() or path.stat().st_size != entry.size or file_sha256(path) != entry.sha256:
            raise UpdateRefused("hash", f"{path} does not match the manifest (size or SHA-256)", version=manifest.version)


async def _publish_all(link: MqttLink, messages: list[tuple[str, bytes]], progress: Callable[[int], None]) -> None:
    pending: set[asyncio.Future[None]] = set()
    for n, (topic, payload) in enumerate(messages, 1):
        pending.add(link.publish(topic, payload, qos=1, retain=True))
        if len(pending) >= MAX_INFLIGHT:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                fut.result()
        progress(n)
    for fut in pending:
        await fut


async def publish(link: MqttLink, envelope: bytes, model_dir: Path, *, prefix: str, site: str, device: str | None,
                  progress: Callable[[int], None] = lambda _: None) -> Manifest:
    """Publish every chunk of ``model_dir`` and then the manifest (all retained, QoS 1)."""
    manifest = unverified(envelope)
    check_files(manifest, model_dir)
    messages = []
    for file_index, entry in enumerate(manifest.files if manifest.url is None else ()):  # a URL: no chunks
        data = (model_dir / entry.name).read_bytes()
        for chunk in range(manifest.chunks(entry)):
            piece = data[chunk * manifest.chunk_size:(chunk + 1) * manifest.chunk_size]
            messages.append((chunk_topic(prefix, manifest.model_id, manifest.version, file_index, chunk), piece))
    messages.append((manifest_topic(prefix, site, device), envelope))
    await _publish_all(link, messages, progress)
    return manifest


async def withdraw_manifest(link: MqttLink, *, prefix: str, site: str, device: str | None) -> None:
    await link.publish(manifest_topic(prefix, site, device), b"", qos=1, retain=True)


async def withdraw_chunks(link: MqttLink, manifest: Manifest, *, prefix: str) -> None:
    topics = [chunk_topic(prefix, manifest.model_id, manifest.version, i, c)
              for i, entry in enumerate(manifest.files) for c in range(manifest.chunks(entry))]
    await _publish_all(link, [(t, b"") for t in topics], lambda _: None)
