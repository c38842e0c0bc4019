"""A running agent on simulated sensors, a real mosquitto, a backend that publishes models, a health listener."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent import config as agent_config
from agent.app import Agent, run
from agent.base.clock import Clock
from agent.base.driver import Registry
from agent.outputs.summaries.records import DeviceHealth
from agent.outputs.sync.codec import decode_record
from agent.outputs.sync.mqtt import ConnectParams, MqttLink
from agent.runtime.updates.keys import install_trusted, public_text
from agent.runtime.updates.manifest import unverified
from agent.runtime.updates.publish import publish
from agent.runtime.updates.topics import chunk_topic
from tools.harness.local_broker import PASSWORD, USERNAME, LocalBroker

SITE, DEVICE = "clinic", "hs1"
CONFIG = """
[agent]
state_dir = "{tmp}/state"
runtime_dir = "{tmp}/run"
log_level = "warning"
[baseline]
calibration_s = 20
[devices.chest-strap]
driver = "sim-chest-strap"
[devices.gsr-band]
driver = "sim-gsr"
rate_hz = 32
[sync]
site = "{site}"
device = "{device}"
[sync.broker]
host = "127.0.0.1"
port = {port}
username = "{user}"
password_file = "{tmp}/password"
backoff_initial_s = 0.2
backoff_max_s = 1.0
[updates]
trusted_keys_dir = "{tmp}/model-keys"
shadow_s = {shadow_s}
shadow_min_ticks = {shadow_ticks}
probation_s = {probation_s}
max_no_vote_ticks = 8
{extra}
"""


def params(port: int, client_id: str) -> ConnectParams:
    return ConnectParams("127.0.0.1", port, client_id, 30, 5.0, 60, 64, USERNAME, PASSWORD)


@dataclass
class Backend:
    """What the cloud side does: publish models, and read the health records the device sends."""

    link: MqttLink
    health: list[DeviceHealth] = field(default_factory=list)

    async def publish(self, envelope: bytes, model_dir: Path, device: str | None = DEVICE) -> None:
        await publish(self.link, envelope, model_dir, prefix="v1", site=SITE, device=device)

    async def publish_chunks_of(self, envelope: bytes, model_dir: Path) -> None:
        """Publish whatever ``model_dir`` holds now, unchecked, and the manifest (to test a hash mismatch)."""
        m = unverified(envelope)
        for i, entry in enumerate(m.files):
            data = (model_dir / entry.name).read_bytes()
            for c in range(m.chunks(entry)):
                await self.link.publish(chunk_topic("v1", m.model_id, m.version, i, c),
                                        data[c * m.chunk_size:(c + 1) * m.chunk_size], retain=True)
        await self.link.publish(f"v1/{SITE}/{DEVICE}/cmd/model", envelope, retain=True)

    def events(self) -> list[str]:
        out = []
        for h in self.health:
            last = h.model.get("last")
            if isinstance(last, dict):
                out.append(str(last["event"]))
            for item in h.model.get("history", []) or []:  # type: ignore[union-attr]
                out.append(str(item["event"]))
        return out

    def said(self, event: str) -> dict[str, Any] | None:
        """The last health record's ``last`` outcome of this event, if one arrived."""
        for h in reversed(self.health):
            last = h.model.get("last")
            if isinstance(last, dict) and last["event"] == event:
                return last
        return None

    async def _listen(self) -> None:
        while True:
            message = await self.link.messages.get()
            if message.topic.endswith("/health"):
                body = decode_record(bytes(message.payload)).body
                assert isinstance(body, DeviceHealth)
                self.health.append(body)


@asynccontextmanager
async def running_agent(tmp: Path, key: Ed25519PrivateKey, *, shadow_s: float = 4.0, shadow_ticks: int = 8,
                        probation_s: float = 4.0, extra: str = "",
                        before_start: Any = None) -> AsyncIterator[tuple[Agent, Backend]]:
    broker = LocalBroker(tmp / "broker")
    await broker.start()
    (tmp / "password").write_text(PASSWORD + "\n")
    os.chmod(tmp / "password", 0o600)
    (tmp / "backend.pub").write_text(public_text(key.public_key()))
    install_trusted(tmp / "model-keys", [tmp / "backend.pub"])
    cfg = tmp / "agent.toml"
    cfg.write_text(CONFIG.format(tmp=tmp, port=broker.port, user=USERNAME, site=SITE, device=DEVICE,
                                 shadow_s=shadow_s, shadow_ticks=shadow_ticks, probation_s=probation_s, extra=extra))
    link = MqttLink(params(broker.port, "backend-test"))
    await link.connect()
    await link.subscribe([f"v1/{SITE}/{DEVICE}/health"])
    backend = Backend(link)
    listener = asyncio.create_task(backend._listen())
    if before_start is not None:
        before_start(tmp / "state" / "models")
    config = agent_config.load(cfg, Registry())
    agent = Agent(config, Clock(speed=10))
    stop = asyncio.Event()
    task = asyncio.create_task(run(agent, stop=stop))
    try:
        yield agent, backend
    finally:
        stop.set()
        await task
        listener.cancel()
        link.close()
        await broker.stop()
