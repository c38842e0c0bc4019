"""``edge-agent provision --model-key KEY.pub``: the device's trusted keys for signed model updates.

Kept apart from :mod:`agent.commands.provision` on purpose: the keys are checked
before provisioning writes anything, and installed only after it succeeded,
into ``{root}/etc/edge-agent/model-keys/`` (the default ``[updates]
trusted_keys_dir``). Keys already trusted stay trusted: removing an old key
after a rotation is a deliberate ``rm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError
from agent.runtime.updates import DEFAULT_KEYS_DIR
from agent.runtime.updates.keys import install_trusted, parse_public


@dataclass(frozen=True)
class PendingKeys:
    directory: Path
    sources: tuple[Path, ...]

    def install(self) -> list[Path]:
        return install_trusted(self.directory, list(self.sources)) if self.sources else []


def model_update_keys(root: Path, sources: tuple[Path, ...]) -> PendingKeys:
    """Check every key now (ConfigError naming the file); install later with ``.install()``."""
    for path in sources:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"--model-key {path}: cannot read it: {exc.strerror}", source=str(path)) from None
        parse_public(data, f"--model-key {path}")
    return PendingKeys(root / DEFAULT_KEYS_DIR.relative_to("/"), sources)
