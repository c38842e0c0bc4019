"""Where model updates travel (see docs/mqtt-schema.md, "Model updates").

::

    v1/{site}/{device}/cmd/model                    retained signed manifest for one device
    v1/{site}/_site/cmd/model                       retained signed manifest for every device of a site
    v1/_models/{model_id}/{version}/{file}/{chunk}  retained raw bytes of one chunk (file and chunk: 0-based indexes)

``_site`` and ``_models`` cannot collide with a site or device id, which
must start with a letter or digit.
"""

from __future__ import annotations

SITE_WIDE = "_site"
BLOBS = "_models"
MANIFEST_LEAF = "cmd/model"


def manifest_topics(prefix: str, site: str, device: str) -> list[str]:
    return [f"{prefix}/{site}/{device}/{MANIFEST_LEAF}", f"{prefix}/{site}/{SITE_WIDE}/{MANIFEST_LEAF}"]


def manifest_topic(prefix: str, site: str, device: str | None) -> str:
    return f"{prefix}/{site}/{device or SITE_WIDE}/{MANIFEST_LEAF}"


def chunk_topic(prefix: str, model_id: str, version: int, file_index: int, chunk: int) -> str:
    return f"{prefix}/{BLOBS}/{model_id}/{version}/{file_index}/{chunk}"


def parse_chunk(topic: str, prefix: str) -> tuple[str, int, int, int] | None:
    """(model_id, version, file index, chunk index) of a chunk topic, or None."""
    parts = topic.split("/")
    if len(parts) != 6 or parts[0] != prefix or parts[1] != BLOBS or not all(p.isdigit() for p in parts[3:]):
        return None
    return parts[2], int(parts[3]), int(parts[4]), int(parts[5])
