"""Models on disk: one active version behind an atomically replaced link, the last good one kept.

::

    {state_dir}/models/
        current -> versions/7          the active model (absent: the packaged model, version 0)
        versions/7/ ...  manifest.json  a complete, verified version (its signed envelope beside the files)
        versions/6/ ...                 the last good version, for rollback
        staging/8/  x.onnx.part x.onnx.have manifest.json   one download in progress
        state.json                      probation, refused versions, recent history

Crash safety: a version enters ``versions/`` by one ``rename`` only after
every file's hash matched, and becomes active by one ``os.replace`` of the
``current`` link; ``state.json`` is written (atomically) before the link,
so a restart always finds either the old model or the new one, never a
mix. At start-up the active version's files are hashed again; a version
that fails (or that kept crashing the agent during its probation) is
replaced by the last good one, then by the packaged model. Disk use is
bounded: the active version, one previous, and one staging download.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import UpdateRefused
from agent.runtime.updates.manifest import MANIFEST_NAME, FileEntry, Manifest, file_sha256, unverified

MAX_PROBATION_BOOTS = 3  # a version that was active for this many starts without passing probation is rolled back
HISTORY = 20


@dataclass(frozen=True, slots=True)
class Installed:
    version: int
    directory: Path
    manifest: Manifest


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = root / "versions"
        self.staging_root = root / "staging"
        self.current = root / "current"
        self.state_path = root / "state.json"
        for d in (self.versions, self.staging_root):
            d.mkdir(parents=True, exist_ok=True)

    # -- state ---------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict[str, Any]) -> None:
        write_atomic(self.state_path, json.dumps(state, indent=1).encode())

    def note(self, event: str, version: int | None, detail: str = "", *, state: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append to the bounded history (what ``edge-agent status`` shows after a restart)."""
        state = self.state() if state is None else state
        history = state.setdefault("history", [])
        history.append({"t": round(time.time(), 3), "event": event, "version": version, "detail": detail[:300]})
        del history[:-HISTORY]
        self._save(state)
        return state

    def refuse(self, version: int | None, digest: str, reason: str, detail: str) -> None:
        """Remember a refused manifest by its digest (reported once), and note why."""
        state = self.state()
        if digest:
            refused = state.setdefault("refused", {})
            refused[digest] = {"version": version, "reason": reason}
            for old in list(refused)[:-HISTORY]:  # bounded: the oldest refusals are forgotten first
                del refused[old]
        self.note(f"refused:{reason}", version, detail, state=state)

    def refused_digest(self, digest: str) -> str | None:
        entry = self.state().get("refused", {}).get(digest)
        return entry.get("reason") if isinstance(entry, dict) else None

    def digest_of(self, version: int) -> str | None:
        return self.state().get("digests", {}).get(str(version))

    # -- the active version --------------------------------------------------

    def linked_version(self) -> int:
        """The version ``current`` points at (0: none, the packaged model)."""
        try:
            return int(Path(os.readlink(self.current)).name)
        except (OSError, ValueError):
            return 0

    def verify(self, version: int) -> Installed:
        """Hash every file of an installed version against its stored manifest."""
        directory = self.versions / str(version)
        try:
            manifest = unverified((directory / MANIFEST_NAME).read_bytes())
        except OSError as exc:
            raise UpdateRefused("hash", f"version {version}: no stored manifest ({exc.strerror})", version=version) from None
        for entry in manifest.files:
            path = directory / entry.name
            if not path.is_file() or path.stat().st_size != entry.size or file_sha256(path) != entry.sha256:
                raise UpdateRefused("hash", f"version {version}: {entry.name} does not match its manifest", version=version)
        return Installed(version, directory, manifest)

    def resolve(self, pin: int | None = None) -> Installed | None:
        """At start-up: the verified version to run (None: the packaged model), repairing what a crash left."""
        state = self.state()
        linked = self.linked_version()
        probation = state.get("probation")
        if probation and probation.get("version") != linked:
            state["probation"] = None  # crashed between writing the state and replacing the link: not swapped
            self._save(state)
        elif probation:
            probation["boots"] = int(probation.get("boots", 0)) + 1
            self._save(state)
            if probation["boots"] > MAX_PROBATION_BOOTS:
                self.rollback(linked, f"the agent restarted {MAX_PROBATION_BOOTS} times during its probation")
                linked = self.linked_version()
        if pin is not None and pin != linked:
            linked = self._pin(pin, linked)
        self._prune(linked)
        if linked == 0:
            return None
        try:
            return self.verify(linked)
        except UpdateRefused as exc:
            previous = int((self.state().get("probation") or {}).get("previous", 0)) or self._last_good(linked)
            self.note("corrupt", linked, str(exc))
            self._link(previous)
            try:
                return self.verify(previous) if previous else None
            except UpdateRefused as again:  # both damaged: the packaged model, which cannot be
                self.note("corrupt", previous, str(again))
                self._link(0)
                return None

    def _prune(self, linked: int) -> None:
        """Drop what a kill left behind (a half-removed rollback, say): keep the active version, the last good
        one, and the newest if it is a verified candidate not yet swapped in."""
        state = self.state()
        keep = {linked, int((state.get("probation") or {}).get("previous", 0)), *state.get("kept", [])}
        versions = self.installed_versions()
        refused = {r.get("version") for r in state.get("refused", {}).values() if isinstance(r, dict)}
        if versions and versions[-1] > linked and versions[-1] not in refused:
            keep.add(versions[-1])
        for v in versions:
            if v not in keep:
                shutil.rmtree(self.versions / str(v), ignore_errors=True)

    def _pin(self, pin: int, linked: int) -> int:
        if pin == 0 or (self.versions / str(pin)).is_dir():
            self._link(pin)
            self.note("pinned", pin, f"activated the pinned version (was {linked})")
            return pin
        return linked  # the pinned version is not here yet: keep what runs until its manifest arrives

    def _last_good(self, exclude: int) -> int:
        good = [v for v in self.installed_versions() if v != exclude]
        return max(good, default=0)

    def installed_versions(self) -> list[int]:
        return sorted(int(p.name) for p in self.versions.iterdir() if p.is_dir() and p.name.isdigit())

    def _link(self, version: int) -> None:
        """Point ``current`` at ``version`` (0: remove it) with one atomic replace."""
        if version == 0:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.current)
        else:
            tmp = self.root / ".current.tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(f"versions/{version}", tmp)
            os.replace(tmp, self.current)
        _fsync_dir(self.root)

    # -- installing ----------------------------------------------------------

    def already_installed(self, manifest: Manifest, envelope: bytes) -> Installed | None:
        """``versions/{v}`` from an earlier run (killed before the swap), if it is this very manifest and intact."""
        directory = self.versions / str(manifest.version)
        try:
            if (directory / MANIFEST_NAME).read_bytes() != envelope:
                return None
            return self.verify(manifest.version)
        except (OSError, UpdateRefused):
            return None

    def staging(self, manifest: Manifest, envelope: bytes) -> Path:
        """The download directory of ``manifest``; other downloads are dropped (one at a time bounds the disk)."""
        directory = self.staging_root / str(manifest.version)
        stored = directory / MANIFEST_NAME
        if directory.is_dir() and (not stored.is_file() or stored.read_bytes() != envelope):
            shutil.rmtree(directory)  # a different manifest for this version: start over
        for other in self.staging_root.iterdir():
            if other != directory:
                shutil.rmtree(other, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
        if not stored.is_file():
            write_atomic(stored, envelope)
        return directory

    def discard_staging(self) -> None:
        for d in self.staging_root.iterdir():
            shutil.rmtree(d, ignore_errors=True)

    def finish(self, manifest: Manifest, staging: Path) -> Installed:
        """Check every assembled file's hash, then move the version into ``versions/`` with one rename."""
        for entry in manifest.files:
            part = staging / f"{entry.name}.part"
            if not part.is_file() or part.stat().st_size != entry.size or file_sha256(part) != entry.sha256:
                shutil.rmtree(staging, ignore_errors=True)
                raise UpdateRefused("hash", f"{entry.name}: SHA-256 does not match the signed manifest", version=manifest.version)
        for entry in manifest.files:
            part = staging / f"{entry.name}.part"
            with part.open("rb+") as f:
                os.fsync(f.fileno())
            part.rename(staging / entry.name)
            with contextlib.suppress(FileNotFoundError):
                (staging / f"{entry.name}.have").unlink()
        _fsync_dir(staging)
        target = self.versions / str(manifest.version)
        if target.exists():
            if self.linked_version() == manifest.version:
                shutil.rmtree(staging, ignore_errors=True)
                return self.verify(manifest.version)
            shutil.rmtree(target)
        staging.rename(target)
        _fsync_dir(self.versions)
        return Installed(manifest.version, target, manifest)

    def swap(self, version: int, previous: int) -> None:
        """Make ``version`` active, in probation; the state is written first so a crash in between is repaired."""
        state = self.state()
        state["probation"] = {"version": version, "previous": previous, "boots": 0, "since": time.time()}
        self.note("swapped", version, f"from {previous}", state=state)
        self._link(version)

    def commit(self, version: int) -> None:
        """Probation passed: keep this version and the previous one, drop the rest."""
        state = self.state()
        previous = int((state.get("probation") or {}).get("previous", 0))
        state["probation"] = None
        state["kept"] = [version, previous]
        self.note("installed", version, f"probation passed; previous {previous} kept", state=state)
        for v in self.installed_versions():
            if v not in (version, previous):
                shutil.rmtree(self.versions / str(v), ignore_errors=True)

    def rollback(self, version: int, why: str) -> int:
        """Back to the previous version; ``version`` is refused from now on. Returns the version now active."""
        state = self.state()
        probation = state.get("probation") or {}
        previous = int(probation.get("previous", 0)) if probation.get("version") == version else self._last_good(version)
        digest = state.get("digests", {}).get(str(version))
        state["probation"] = None
        if digest:  # the same manifest, still retained on the broker, is not tried again
            state.setdefault("refused", {})[digest] = {"version": version, "reason": "rolled-back"}
        self._save(state)
        self._link(previous)
        self.note("rolled-back", version, f"to {previous}: {why}")
        shutil.rmtree(self.versions / str(version), ignore_errors=True)
        return previous

    def remember_digest(self, version: int, digest: str) -> None:
        state = self.state()
        digests = state.setdefault("digests", {})
        digests[str(version)] = digest
        for old in sorted(digests, key=int)[:-HISTORY]:
            del digests[old]
        self._save(state)


class Partial:
    """One file of a download: ``.part`` written chunk by chunk at its offset, ``.have`` lists finished chunks.

    A chunk is listed only after its bytes are written, so after a ``kill -9``
    a listed chunk is complete; a torn last line of ``.have`` is ignored and
    that chunk fetched again.
    """

    def __init__(self, staging: Path, entry: FileEntry, chunk_size: int) -> None:
        self.entry = entry
        self.chunk_size = chunk_size
        self.part = staging / f"{entry.name}.part"
        self.have_path = staging / f"{entry.name}.have"
        self.count = max(1, -(-entry.size // chunk_size))
        self.have: set[int] = set()
        if not self.part.exists():  # never written, or renamed by a finish() killed before it removed .have
            self.have_path.unlink(missing_ok=True)
            self.part.touch()
        with contextlib.suppress(FileNotFoundError):
            for line in self.have_path.read_text().split("\n")[:-1]:  # the last piece may be torn
                if line.isdigit() and int(line) < self.count:
                    self.have.add(int(line))

    def missing(self) -> Iterator[int]:
        return (i for i in range(self.count) if i not in self.have)

    def expected_size(self, index: int) -> int:
        return min(self.chunk_size, self.entry.size - index * self.chunk_size)

    def write(self, index: int, data: bytes) -> None:
        if index in self.have:
            return
        if len(data) != self.expected_size(index):
            raise UpdateRefused("hash", f"{self.entry.name} chunk {index}: {len(data)} bytes, expected {self.expected_size(index)}")
        fd = os.open(self.part, os.O_WRONLY)
        try:
            os.pwrite(fd, data, index * self.chunk_size)
        finally:
            os.close(fd)
        with self.have_path.open("a") as f:
            f.write(f"{index}\n")
        self.have.add(index)

    @property
    def done(self) -> bool:
        return len(self.have) == self.count
