"""Fixtures: the host firmware built once per session, pseudo-terminal ports, golden vectors."""

from __future__ import annotations

import json
import os
import subprocess
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from agent.base.datasets import data_root

FIRMWARE_DIR = Path(__file__).resolve().parents[3] / "firmware-bridge"
GOLDEN = FIRMWARE_DIR / "vectors" / "golden.txt"
EDA_CSV = data_root() / "biosignal-samples" / "bio_resting_8min_100hz.csv"
EDA_FILE_HZ = 100


@dataclass(frozen=True)
class Vector:
    kind: str
    fields: dict[str, str]

    def hex(self, key: str) -> bytes:
        v = self.fields[key]
        return b"" if v == "-" else bytes.fromhex(v)

    @property
    def msg(self) -> dict:
        return json.loads(self.fields["msg"])


def load_vectors() -> list[Vector]:
    out = []
    for line in GOLDEN.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        kind, *rest = line.split(" ")
        out.append(Vector(kind, dict(f.split("=", 1) for f in rest)))
    return out


def vectors(kind: str) -> list[Vector]:
    return [v for v in load_vectors() if v.kind == kind]


@pytest.fixture(scope="session")
def host_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the reference firmware's host binary once per session, into a temp dir."""
    build = tmp_path_factory.mktemp("firmware-build")
    subprocess.run(["make", "-s", "-C", str(FIRMWARE_DIR), f"BUILD={build}"], check=True, capture_output=True)
    return build / "edge-bridge-host"


def recording_ns() -> np.ndarray:
    """The EDA column as the firmware digitises it: nanosiemens, rounded half up."""
    us = np.loadtxt(EDA_CSV, delimiter=",", skiprows=1, usecols=2)
    return np.floor(us * 1000.0 + 0.5).astype(np.int64)


def expected_us(ns: np.ndarray, elapsed_us: np.ndarray) -> np.ndarray:
    """What the host firmware's ADC read at each sample time (zero-order hold, looping)."""
    idx = (elapsed_us * EDA_FILE_HZ // 1_000_000) % ns.shape[0]
    return (ns[idx] * 1e-3).astype(np.float32)


class PtyPort:
    """A pseudo-terminal whose slave is reachable through a stable symlink, like /dev/serial/by-id.

    The test keeps the slave open, as a plugged-in USB adapter would stay
    present; whoever holds the master plays the device. Unplugging closes
    the master and removes the link.
    """

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.slave = -1

    def plug(self) -> int:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # raw before any byte flows, so nothing is echoed or translated
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))
        return self.master

    def unplug(self) -> None:
        if self.link.is_symlink():
            self.link.unlink()
        for fd in (self.master, self.slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = -1


class FirmwareDevice:
    """The host-built firmware serving a PtyPort: plug() starts it, unplug() kills it."""

    def __init__(self, binary: Path, link: Path, *, tick_offset: int = 0) -> None:
        self.binary = binary
        self.port = PtyPort(link)
        self.tick_offset = tick_offset
        self.proc: subprocess.Popen[bytes] | None = None

    def plug(self) -> None:
        master = self.port.plug()
        self.proc = subprocess.Popen(
            [str(self.binary), "--eda", str(EDA_CSV), "--fd", str(master), "--tick-offset", str(self.tick_offset)],
            pass_fds=(master,),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        os.close(master)  # only the firmware holds the master now: its exit is the unplug
        self.port.master = -1
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().startswith(b"ready")

    def unplug(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            assert self.proc.stdout is not None
            self.proc.stdout.close()
            self.proc = None
        self.port.unplug()


@pytest.fixture
def firmware(host_firmware: Path, tmp_path: Path) -> Iterator[FirmwareDevice]:
    # Ticks start 0.6 s before the uint32 wrap, so every test crosses it.
    dev = FirmwareDevice(host_firmware, tmp_path / "bridge0", tick_offset=2**32 - 600_000)
    yield dev
    dev.unplug()
