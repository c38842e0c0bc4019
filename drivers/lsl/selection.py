"""Which stream the options mean: an LSL query, and a choice among the answers.

Muse streams are all named ``Muse`` (the type tells EEG from PPG); OpenBCI
GUI gives every stream the same source_id (``openbcigui``), so there only
the name tells them apart. Both are handled by matching on every field the
options give, and by refusing to guess when two different streams match.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.plugin import ConfigError
from drivers.lsl.layout import StreamHeader

# LSL option -> element of the stream's <info> header that the query tests.
FIELDS = {"stream_type": "type", "name": "name", "source_id": "source_id", "hostname": "hostname"}


def predicate(selectors: dict[str, str | None]) -> str:
    """An XPath 1.0 predicate over the stream header, e.g. ``type='EEG' and name='Muse'``.

    The options forbid quotes in these values, so quoting here is plain.
    """
    terms = [f"{FIELDS[key]}='{value}'" for key, value in selectors.items() if value is not None]
    if not terms:
        raise ConfigError("an LSL stream needs at least one of stream_type, name, source_id or hostname")
    return " and ".join(terms)


def choose(
    candidates: Sequence[StreamHeader],
    *,
    wanted: str,
    previous: tuple[str, str, str, str] | None = None,
) -> StreamHeader | None:
    """The one stream to open, or None if there is none yet.

    After a loss the stream with the same identity as before is preferred
    (it is the same device's outlet, restarted). Several outlets of one
    identity are one device restarted or duplicated: the newest wins.
    Several identities with nothing to prefer is a configuration that does
    not say which stream it means: ConfigError, listing them.
    """
    if not candidates:
        return None
    if previous is not None:
        same = [c for c in candidates if c.identity == previous]
        if same:
            return max(same, key=lambda c: c.created_at)
    identities = {c.identity for c in candidates}
    if len(identities) > 1:
        listed = "; ".join(sorted(c.describe() for c in candidates))
        hint = (
            " (OpenBCI GUI gives all its streams the same source_id: select by name)"
            if len({c.source_id for c in candidates}) == 1 and candidates[0].source_id
            else ""
        )
        raise ConfigError(
            f"{len(identities)} LSL streams match {wanted}: {listed}; set name or source_id to choose one{hint}",
            field="name",
        )
    return max(candidates, key=lambda c: c.created_at)
