"""``edge-agent provision --model-key``: trusted keys for signed model updates, checked before anything is written."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from agent.commands.cli.main import main
from agent.errors import EX_CONFIG
from agent.runtime.updates.keys import generate, load_trusted
from tests.agent.provision.conftest import snapshot

ARGS = ["--no-interactive", "--site", "clinic-a", "--device", "headset-1", "--no-sync", "--sensor", "sim-gsr"]


def test_two_model_keys_are_trusted_after_a_successful_provision(root: Path, tmp_path: Path) -> None:
    (old, old_id), (new, new_id) = generate(tmp_path / "old.key"), generate(tmp_path / "new.key")
    r = CliRunner().invoke(main, ["provision", "--root", str(root), *ARGS, "--model-key", str(old), "--model-key", str(new)])
    assert r.exit_code == 0, r.output
    assert set(load_trusted(root / "etc/edge-agent/model-keys")) == {old_id, new_id}
    assert "trusted" in r.output and not list(root.rglob("*.key"))  # no private key on the device


def test_a_bad_model_key_is_refused_and_nothing_is_written(root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-ed25519 AAAA this is not ours\n")
    before = snapshot(root)
    r = CliRunner().invoke(main, ["provision", "--root", str(root), *ARGS, "--model-key", str(bad)])
    assert r.exit_code == EX_CONFIG and "bad.pub" in r.output
    assert snapshot(root) == before
