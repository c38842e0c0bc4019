"""What an LSL stream carries, in the agent's terms: channel names, unit, scale.

Pure functions of the stream's header and description, so every rule here is
tested without a network. Labels come, in order of trust, from the options
(a technician who knows the montage), the stream's own description, a known
device's fixed layout (Muse; OpenBCI GUI numbers its channels), and last a
generic ``ch1..chN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.plugin import ConfigError, Modality, StreamSpec

MUSE_LABELS = ("TP9", "AF7", "AF8", "TP10", "Right AUX")  # muselsl's order, 256 Hz EEG

# liblsl's channel_format codes (lsl_c.h) and the numpy dtype each is pulled into.
FORMATS: dict[int, tuple[str, np.dtype | None]] = {
    1: ("float32", np.dtype(np.float32)),
    2: ("double64", np.dtype(np.float64)),
    3: ("string", None),
    4: ("int32", np.dtype(np.int32)),
    5: ("int16", np.dtype(np.int16)),
    6: ("int8", np.dtype(np.int8)),
    7: ("int64", np.dtype(np.int64)),
}

MODALITIES = {
    "eeg": Modality.EEG,
    "ecg": Modality.ECG,
    "ppg": Modality.PPG,
    "gsr": Modality.EDA,
    "eda": Modality.EDA,
    "acc": Modality.ACC,
}

# Voltage units as LSL writers spell them (XDF meta-data uses "microvolts"), in µV.
_MICROVOLTS_PER = {
    "microvolts": 1.0, "microvolt": 1.0, "uv": 1.0, "µv": 1.0, "μv": 1.0,
    "millivolts": 1e3, "millivolt": 1e3, "mv": 1e3,
    "volts": 1e6, "volt": 1e6, "v": 1e6,
    "nanovolts": 1e-3, "nanovolt": 1e-3, "nv": 1e-3,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StreamHeader:
    """The parts of an LSL stream_info the agent needs (no pylsl objects)."""

    name: str
    type: str
    source_id: str
    hostname: str
    channel_count: int
    channel_format: int
    nominal_srate: float
    uid: str = ""
    created_at: float = 0.0

    @property
    def format_name(self) -> str:
        return FORMATS.get(self.channel_format, (f"unknown({self.channel_format})", None))[0]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What stays the same when the same device's outlet restarts (uid does not)."""
        return (self.name, self.type, self.source_id, self.hostname)

    def describe(self) -> str:
        rate = f"{self.nominal_srate:g} Hz" if self.nominal_srate > 0 else "irregular"
        src = f", source_id {self.source_id!r}" if self.source_id else ""
        return (
            f"{self.name!r} (type {self.type!r}{src} on {self.hostname}: "
            f"{self.channel_count} × {self.format_name} at {rate})"
        )


@dataclass(frozen=True, slots=True)
class Layout:
    """How samples of one stream become Chunk values."""

    spec: StreamSpec
    dtype: np.dtype  # what liblsl writes into the pull buffer
    scale: np.ndarray | None  # per-channel factor to the spec's unit; None when 1
    labels_from: str  # "options", "description", "muse", "openbci" or "generic"


def check_shape(header: StreamHeader, *, channels: int | None, channel_format: str | None) -> None:
    """Raise ConfigError when the stream is not what the options say (or carries no numbers)."""
    fmt = header.format_name
    if FORMATS.get(header.channel_format, ("", None))[1] is None:
        raise ConfigError(
            f"LSL stream {header.describe()} carries {fmt} values, not numeric samples; "
            "select a numeric stream (set name or source_id)",
            field="channel_format",
        )
    if channels is not None and header.channel_count != channels:
        raise ConfigError(
            f"LSL stream {header.describe()} has {header.channel_count} channels, the options say {channels}; "
            "fix `channels` or select another stream",
            field="channels",
        )
    if channel_format is not None and fmt != channel_format:
        raise ConfigError(
            f"LSL stream {header.describe()} sends {fmt}, the options say {channel_format}; "
            "fix `channel_format` or select another stream",
            field="channel_format",
        )


def fallback_labels(header: StreamHeader) -> tuple[tuple[str, ...], str]:
    """Channel names for a stream whose description has none."""
    n = header.channel_count
    if (header.name.startswith("Muse") or header.source_id.startswith("Muse")) and n <= len(MUSE_LABELS):
        return MUSE_LABELS[:n], "muse"
    if header.name.startswith("obci_"):
        # OpenBCI GUI sends no montage (it cannot know where electrodes sit): its own numbering.
        return tuple(f"ch{i}" for i in range(1, n + 1)), "openbci"
    return tuple(f"ch{i}" for i in range(1, n + 1)), "generic"


def _complete(values: Sequence[str | None] | None, n: int) -> tuple[str, ...] | None:
    if values is None or len(values) != n or any(not v or not v.strip() for v in values):
        return None
    out = tuple(v.strip() for v in values if v)
    return out if len(set(out)) == n else None  # duplicate names would make channels ambiguous


def voltage_scale(units: Sequence[str | None] | None, n: int) -> np.ndarray | None:
    """Per-channel factors to µV; None when all are µV already or units are unknown."""
    if units is None or len(units) != n:
        return None
    factors = [_MICROVOLTS_PER.get((u or "").strip().lower(), 1.0) for u in units]
    return None if all(f == 1.0 for f in factors) else np.asarray(factors, dtype=np.float32)


def build_layout(
    header: StreamHeader,
    *,
    labels: Sequence[str | None] | None,
    units: Sequence[str | None] | None,
    label_override: Sequence[str] | None = None,
) -> Layout:
    """The StreamSpec and conversion for ``header`` plus its description's labels and units."""
    n = header.channel_count
    if label_override is not None:
        if len(label_override) != n:
            raise ConfigError(
                f"`labels` names {len(label_override)} channels, LSL stream {header.describe()} has {n}",
                field="labels",
            )
        names, source = tuple(label_override), "options"
    elif (described := _complete(labels, n)) is not None:
        names, source = described, "description"
    else:
        names, source = fallback_labels(header)
    modality = MODALITIES.get(header.type.strip().lower(), Modality.OTHER)
    if modality in (Modality.EEG, Modality.ECG):
        # Unknown or missing units are taken as µV: what every EEG LSL source we know sends.
        unit, scale = "µV", voltage_scale(units, n)
    else:
        given = {u.strip() for u in (units or []) if u and u.strip()}
        unit, scale = (given.pop() if len(given) == 1 else "1"), None
    stream_name = modality.value if modality is not Modality.OTHER else (header.type.strip().lower() or "lsl")
    rate = header.nominal_srate if header.nominal_srate > 0 else None
    dtype = FORMATS.get(header.channel_format, ("", None))[1]
    if dtype is None:
        check_shape(header, channels=None, channel_format=None)  # raises: not numeric
    return Layout(StreamSpec(stream_name, modality, names, unit, rate), dtype, scale, source)
