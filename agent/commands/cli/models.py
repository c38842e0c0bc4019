"""``edge-agent models``: sign and publish model updates (backend side), trust keys and roll back (device side).

::

    edge-agent models keygen backend-2026.key          # private key 0600 + backend-2026.pub; keep it off devices
    edge-agent models sign DIR --key backend-2026.key --version 7 --out DIR.manifest
    edge-agent models publish DIR --manifest DIR.manifest --site clinic-a [--device headset-7] --host ...
    edge-agent models trust backend-2026.pub            # on a device (also: edge-agent provision --model-key)
    edge-agent models rollback                          # on a device, agent stopped: back to the last good version
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import pydantic

from agent import config as agent_config
from agent.base.driver import Registry
from agent.errors import ConfigError
from agent.runtime.updates import DEFAULT_KEYS_DIR

_file = click.Path(path_type=Path, dir_okay=False)
_dir = click.Path(path_type=Path, file_okay=False, exists=True)


@click.group()
def models() -> None:
    """Signed distress-model updates: keys, signing, publishing, rollback."""


@models.command()
@click.argument("private_key", type=_file)
def keygen(private_key: Path) -> None:
    """Make an Ed25519 key pair: PRIVATE_KEY (PEM, 0600) and PRIVATE_KEY with .pub (give that to devices)."""
    from agent.runtime.updates.keys import generate

    try:
        public, kid = generate(private_key)
    except FileExistsError:
        raise ConfigError(f"{private_key} exists; choose another name (a key is never overwritten)") from None
    click.echo(f"wrote {private_key} (mode 0600: keep it on the backend, never on a device)")
    click.echo(f"wrote {public} (key id {kid}): install it on devices with edge-agent models trust {public.name}")


@models.command()
@click.argument("model_dir", type=_dir)
@click.option("--key", "keys", type=_file, multiple=True, required=True,
              help="Private key to sign with; give two while rotating keys.")
@click.option("--version", type=click.IntRange(min=1), required=True, help="Monotonic version; devices refuse anything not above theirs.")
@click.option("--model-id", default="distress", show_default=True)
@click.option("--label", help="The model's own version label [default: read from the model].")
@click.option("--expires-days", type=click.FloatRange(min=0.01), default=30.0, show_default=True,
              help="Devices refuse the manifest after this.")
@click.option("--chunk-size", type=click.IntRange(1024, 1 << 20), default=64 * 1024, show_default=True)
@click.option("--url", help="Devices fetch the files from URL/NAME over HTTP(S) instead of MQTT chunks.")
@click.option("--out", type=_file, required=True, help="Where to write the signed manifest.")
def sign(model_dir: Path, keys: tuple[Path, ...], version: int, model_id: str, label: str | None,
         expires_days: float, chunk_size: int, url: str | None, out: Path) -> None:
    """Test-load MODEL_DIR, then sign a manifest of its files with the given private keys."""
    from agent.runtime.updates.keys import load_private
    from agent.runtime.updates.manifest import describe
    from agent.runtime.updates.manifest import sign as sign_manifest
    from agent.runtime.updates.probe import contract_of, trial_load

    try:
        private = [load_private(k) for k in keys]
        model = trial_load(model_dir)  # never sign what this agent version cannot load
        manifest = describe(model_dir, model_id=model_id, version=version, label=label or model.version,
                            contract=contract_of(model), expires_in_s=expires_days * 86400, chunk_size=chunk_size,
                            url=url)
    except pydantic.ValidationError as exc:
        raise ConfigError(str(exc)) from None
    out.write_bytes(sign_manifest(manifest, private))
    click.echo(f"wrote {out}: {manifest.model_id} version {manifest.version} ({manifest.label}), "
               f"{len(manifest.files)} files, {manifest.total_bytes} bytes, expires in {expires_days:g} days")


@models.command()
@click.argument("model_dir", type=_dir)
@click.option("--manifest", "manifest_path", type=_file, required=True, help="The signed manifest (models sign --out).")
@click.option("--site", required=True, help="Site whose devices get it.")
@click.option("--device", help="Only this device [default: every device of the site].")
@click.option("--host", default="localhost", show_default=True)
@click.option("--port", type=int, default=8883, show_default=True)
@click.option("--username")
@click.option("--password-file", type=_file)
@click.option("--ca-file", type=_file, help="Pinned CA certificate; enables TLS.")
@click.option("--cert-file", type=_file)
@click.option("--key-file", type=_file)
@click.option("--topic-prefix", default="v1", show_default=True)
@click.option("--client-id", default="edge-models-publisher", show_default=True)
def publish(model_dir: Path, manifest_path: Path, site: str, device: str | None, host: str, port: int,
            username: str | None, password_file: Path | None, ca_file: Path | None, cert_file: Path | None,
            key_file: Path | None, topic_prefix: str, client_id: str) -> None:
    """Publish MODEL_DIR's chunks and its signed manifest, retained, for a site or one device."""
    from agent.outputs.sync.mqtt import ConnectParams, MqttLink
    from agent.outputs.sync.options import BrokerOptions
    from agent.runtime.updates.publish import publish as publish_model

    broker: dict[str, object] = {"host": host, "port": port, "username": username, "password_file": password_file}
    if ca_file is not None:
        broker["tls"] = {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}
    try:
        b = BrokerOptions.model_validate(broker)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"invalid broker options:\n{exc}") from None
    params = ConnectParams(host=b.host, port=b.port, client_id=client_id, keepalive_s=b.keepalive_s,
                           connect_timeout_s=b.connect_timeout_s, session_expiry_s=1, receive_maximum=16,
                           username=b.username, password=b.password(), tls=b.tls.context() if b.tls else None)

    async def go() -> None:
        link = MqttLink(params)
        await link.connect()
        try:
            manifest = await publish_model(link, manifest_path.read_bytes(), model_dir, prefix=topic_prefix,
                                           site=site, device=device)
        finally:
            await link.disconnect()
        chunks = 0 if manifest.url else sum(manifest.chunks(f) for f in manifest.files)
        click.echo(f"published {manifest.model_id} version {manifest.version}: {chunks} chunks and the manifest, "
                   f"retained, for {site}/{device or 'every device'}" + (f" (files at {manifest.url})" if manifest.url else ""))

    asyncio.run(go())  # UpdateRefused: 78; SyncError (no broker): 69, as agent.commands.cli.exits maps them


@models.command()
@click.argument("public_keys", type=_file, nargs=-1, required=True)
@click.option("--keys-dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_KEYS_DIR,
              show_default=True, help="The device's trusted keys ([updates] trusted_keys_dir).")
def trust(public_keys: tuple[Path, ...], keys_dir: Path) -> None:
    """Trust these public keys for model manifests (keep the old key until every manifest is signed by the new)."""
    from agent.runtime.updates.keys import install_trusted

    try:
        for path in install_trusted(keys_dir, list(public_keys)):
            click.echo(f"trusted {path}")
    except OSError as exc:
        raise ConfigError(str(exc)) from exc


@models.command()
@click.option("--config", "config_path", type=_file, help="The agent's config (for [agent] state_dir).")
def rollback(config_path: Path | None) -> None:
    """Go back to the last good model version (stop the agent first; it reads the choice when it starts)."""
    from agent.runtime.updates.store import ModelStore

    config = agent_config.load(config_path, Registry())
    store = ModelStore(config.agent.state_dir / "models")
    current = store.linked_version()
    if current == 0:
        raise click.ClickException("the packaged model is active; there is nothing to roll back")
    back = store.rollback(current, "rolled back by hand (edge-agent models rollback)")
    click.echo(f"version {current} rolled back to {back or 'the packaged model'}; it will not be installed again. "
               f"Start the agent: systemctl start edge-agent")
