"""``edge-agent simulate lsl``: publish a recorded Muse file or synthetic EEG as a real LSL outlet.

Technicians use it to check an installation end to end (the agent should
show the stream); tests run it as a separate process (``python -m
drivers.lsl.simulate``) to have a real outlet on the other side of the
socket. It joins the same network scope as the agent (loopback unless
``LSLAPICFG`` names another configuration).

It prints one JSON line when the outlet is up (``"event": "ready"`` with the
stream's name, source_id, uid and the LSL time of sample 0) and one when it
stops (``"event": "done"``), so scripts can wait for it.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

import click
import numpy as np

from drivers.lsl.lib import SCOPE, pylsl
from drivers.lsl.sources import Signal, load_muse_csv, recording_path, synthetic_eeg

SYNTHETIC_MAX_SAMPLES = 2**18
MUSE_SOURCE_ID = "Muse00:55:DA:B0:00:00"  # muselsl's form, Muse<MAC>, with a made-up address
FORMATS = {
    "float32": pylsl.cf_float32,
    "double64": pylsl.cf_double64,
    "int32": pylsl.cf_int32,
    "int16": pylsl.cf_int16,
    "string": pylsl.cf_string,
}


def make_info(
    signal_: Signal, *, name: str, stream_type: str, source_id: str, fmt: str, labels: bool, unit: str
) -> pylsl.StreamInfo:
    info = pylsl.StreamInfo(name, stream_type, signal_.samples.shape[1], signal_.rate_hz, FORMATS[fmt], source_id)
    if labels:  # the XDF channel meta-data that muselsl also writes
        info.desc().append_child_value("manufacturer", "vr-edge-agent simulator")
        chans = info.desc().append_child("channels")
        for label in signal_.labels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", unit)
            ch.append_child_value("type", stream_type)
    return info


def _wire(block: np.ndarray, fmt: str) -> np.ndarray | list[list[str]]:
    if fmt == "string":
        return [[f"{v:.3f}" for v in row] for row in block.tolist()]
    if fmt in ("int32", "int16"):
        return np.round(block).astype(np.int32 if fmt == "int32" else np.int16)
    return block


def publish(
    outlet: pylsl.StreamOutlet,
    samples: np.ndarray,
    *,
    rate_hz: float,
    chunk: int,
    fmt: str,
    loop: bool,
    duration_s: float | None,
    t0: float,
    stop: threading.Event,
) -> int:
    """Push ``samples`` in chunks at ``rate_hz``: sample i is stamped ``t0 + i / rate_hz``
    and sent once it exists. Returns how many samples were sent."""
    n = samples.shape[0]
    limit = None if loop else n
    if duration_s is not None:
        by_time = round(duration_s * rate_hz)
        limit = by_time if limit is None else min(limit, by_time)
    sent = 0
    while not stop.is_set() and (limit is None or sent < limit):
        k = chunk if limit is None else min(chunk, limit - sent)
        last_t = t0 + (sent + k - 1) / rate_hz
        wait = last_t - pylsl.local_clock()
        if wait > 0:
            time.sleep(wait)  # this is the device's clock: real time is the point
        block = samples[np.arange(sent, sent + k) % n]
        outlet.push_chunk(_wire(block, fmt), timestamp=last_t)
        sent += k
    return sent


def _say(**fields: object) -> None:
    click.echo(json.dumps(fields), nl=True)
    sys.stdout.flush()


@click.command("lsl")
@click.option(
    "--file",
    "recording",
    metavar="NAME|PATH",
    help="a muselsl CSV: a path, or a name in <data>/muse-eeg (e.g. subjecta-relaxed-1); default: synthetic EEG",
)
@click.option(
    "--channels", type=click.IntRange(1, 256), default=8, show_default=True, help="synthetic EEG: channel count"
)
@click.option("--rate", type=click.FloatRange(1.0, 100_000.0), default=256.0, show_default=True, help="Hz")
@click.option("--name", default=None, help="stream name [Muse for a recording, SimEEG otherwise]")
@click.option("--type", "stream_type", default="EEG", show_default=True, help="LSL content type")
@click.option(
    "--source-id",
    default=None,
    help=f'[{MUSE_SOURCE_ID} for a recording, sim-eeg-N otherwise]; "" makes a stream liblsl cannot recover',
)
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="float32", show_default=True)
@click.option(
    "--chunk", type=click.IntRange(1, 4096), default=12, show_default=True, help="samples per push (a Muse sends 12)"
)
@click.option(
    "--labels/--no-labels",
    default=True,
    show_default=True,
    help="describe channel names and units in the stream's meta-data",
)
@click.option("--unit", default="microvolts", show_default=True)
@click.option("--loop/--no-loop", default=True, show_default=True, help="start the recording again at its end")
@click.option("--duration", type=click.FloatRange(0.0, min_open=True), default=None, help="stop after S seconds")
@click.option("--seed", type=int, default=0, show_default=True, help="synthetic EEG: same seed, same samples")
def command(
    recording: str | None,
    channels: int,
    rate: float,
    name: str | None,
    stream_type: str,
    source_id: str | None,
    fmt: str,
    chunk: int,
    labels: bool,
    unit: str,
    loop: bool,
    duration: float | None,
    seed: int,
) -> None:
    """Publish EEG as a real LSL outlet until stopped (Ctrl-C, SIGTERM, --duration)."""
    if recording is not None:
        try:
            signal_ = load_muse_csv(recording_path(recording), rate_hz=rate)
        except (OSError, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="--file") from exc
        name, source_id = name or "Muse", MUSE_SOURCE_ID if source_id is None else source_id
    else:
        # A minute of signal, looped; shorter at high rates to keep its memory small.
        signal_ = synthetic_eeg(channels, rate, seconds=min(60.0, SYNTHETIC_MAX_SAMPLES / rate), seed=seed)
        name, source_id = name or "SimEEG", f"sim-eeg-{seed}" if source_id is None else source_id
    stop = threading.Event()  # SIGTERM (systemd, scripts): finish the chunk, destroy the outlet cleanly
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    outlet = pylsl.StreamOutlet(
        make_info(signal_, name=name, stream_type=stream_type, source_id=source_id, fmt=fmt, labels=labels, unit=unit),
        chunk_size=0,  # each push is one chunk on the wire, as a Muse sends them
    )
    t0 = pylsl.local_clock()
    _say(
        event="ready",
        name=name,
        type=stream_type,
        source_id=source_id,
        uid=outlet.get_info().uid(),
        channels=list(signal_.labels),
        rate=rate,
        format=fmt,
        origin=signal_.origin,
        t0=t0,
        lsl_config=str(SCOPE.path),
        loopback=SCOPE.loopback,
    )
    try:
        sent = publish(
            outlet,
            signal_.samples,
            rate_hz=rate,
            chunk=chunk,
            fmt=fmt,
            loop=loop,
            duration_s=duration,
            t0=t0,
            stop=stop,
        )
    except KeyboardInterrupt:  # Ctrl-C at a terminal
        sent = -1
    _say(event="done", samples=sent)


if __name__ == "__main__":
    command()
