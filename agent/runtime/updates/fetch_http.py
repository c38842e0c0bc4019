"""Fetching a model's files from the URL its signed manifest names, when the backend serves one.

Each file is read from ``{url}/{name}`` in chunk-sized pieces into the same
``.part``/``.have`` staging as the MQTT download, so it resumes the same way:
the request asks for the rest of the file from the first missing chunk
(``Range: bytes=N-``); a server that ignores ranges sends the whole file and
the chunks already staged are skipped. The bytes are trusted only after
every file's SHA-256 matches the signed manifest, so plain HTTP is as safe
as HTTPS here (HTTPS still hides which model a site fetches). Blocking:
run it in a worker thread.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from agent.errors import SyncError
from agent.runtime.updates.manifest import Manifest
from agent.runtime.updates.store import Partial


class HttpDownload:
    def __init__(self, manifest: Manifest, staging: Path, *, timeout_s: float = 30.0) -> None:
        assert manifest.url is not None
        self.manifest = manifest
        self.timeout_s = timeout_s
        self.parts = [Partial(staging, entry, manifest.chunk_size) for entry in manifest.files]
        self.written = 0

    @property
    def done(self) -> bool:
        return all(p.done for p in self.parts)

    @property
    def have_bytes(self) -> int:
        return sum(min(p.entry.size, len(p.have) * p.chunk_size) for p in self.parts)

    def run(self) -> None:
        """Fetch every missing chunk; SyncError on a network or HTTP failure (try again later: it resumes)."""
        for part in self.parts:
            first = next(part.missing(), None)
            if first is not None:
                self._fetch(part, first)

    def _fetch(self, part: Partial, first: int) -> None:
        assert self.manifest.url is not None
        url = f"{self.manifest.url.rstrip('/')}/{urllib.parse.quote(part.entry.name)}"
        size = self.manifest.chunk_size
        request = urllib.request.Request(url, headers={"Range": f"bytes={first * size}-"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - http(s) only, by the manifest's schema
                chunk = first if response.status == 206 else 0  # 200: the whole file, from the start
                while chunk < part.count:
                    data = response.read(part.expected_size(chunk))
                    if len(data) != part.expected_size(chunk):
                        raise SyncError(f"{url}: the body ended at chunk {chunk} of {part.count}")
                    if chunk not in part.have:
                        part.write(chunk, data)
                        self.written += 1
                    chunk += 1
        except SyncError:
            raise
        except (urllib.error.URLError, OSError) as exc:  # HTTPError is a URLError
            raise SyncError(f"cannot fetch {url}: {exc}") from exc
