"""The shipped systemd files: the unit verifies cleanly, is hardened, and install.sh lays everything out."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from drivers.lsl.netconfig import LOOPBACK_CONFIG

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
EDGE_AGENT = Path(sys.executable).with_name("edge-agent")  # the venv's console script


def unit_copy(tmp: Path, name: str = "edge-agent.service") -> Path:
    """The unit with ExecStart pointed at a binary that exists here (verify checks it)."""
    text = (SYSTEMD / name).read_text()
    assert "ExecStart=/opt/edge-agent/venv/bin/edge-agent run " in text
    out = tmp / name
    out.write_text(text.replace("/opt/edge-agent/venv/bin/edge-agent", str(EDGE_AGENT)))
    return out


def test_systemd_analyze_verify_prints_nothing(tmp_path: Path) -> None:
    unit = unit_copy(tmp_path)
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stderr  # exits 0 even on unknown keys


def exposure(unit: Path) -> float:
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    return float(m.group(1))


def test_the_unit_is_hardened_to_an_exposure_of_1_5_or_better(tmp_path: Path) -> None:
    assert exposure(unit_copy(tmp_path)) <= 1.5


def test_the_rfcomm_helper_holds_only_what_binding_a_tty_needs() -> None:
    # root with CAP_NET_ADMIN alone and Bluetooth (+ local) sockets; it was 9.6 unhardened
    unit = SYSTEMD / "edge-agent-rfcomm@.service"
    assert exposure(unit) <= 2.0
    text = unit.read_text()
    assert re.search(r"^CapabilityBoundingSet=CAP_NET_ADMIN$", text, re.M)
    assert re.search(r"^RestrictAddressFamilies=AF_BLUETOOTH AF_UNIX$", text, re.M)
    assert not re.search(r"^PrivateNetwork=yes$", text, re.M)  # Bluetooth sockets exist only in the host namespace


def test_the_unit_keeps_what_the_agent_needs() -> None:
    text = (SYSTEMD / "edge-agent.service").read_text()
    for line in ["Type=notify", "NotifyAccess=main", "Restart=on-failure", "RestartPreventExitStatus=78",
                 "User=edge-agent", "SupplementaryGroups=bluetooth dialout", "StateDirectory=edge-agent",
                 "RuntimeDirectory=edge-agent", "ConfigurationDirectory=edge-agent", "DeviceAllow=char-rfcomm rw",
                 "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw"]:
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    assert re.search(r"^WatchdogSec=\d+$", text, re.M)
    for forbidden in ["PrivateDevices=yes", "PrivateNetwork=yes", "DynamicUser=yes"]:  # they break serial, MQTT, BlueZ
        assert not re.search(rf"^{forbidden}$", text, re.M), forbidden
    families = re.search(r"^RestrictAddressFamilies=(.*)$", text, re.M).group(1).split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"} <= set(families)  # BlueZ is D-Bus; MQTT; liblsl


def test_the_agent_gives_up_on_its_books_before_systemd_kills_it() -> None:
    """A shutdown grace longer than TimeoutStopSec would be cut by SIGKILL mid-write; one far shorter
    abandons summaries a loaded device would still have stored."""
    from agent.app import SHUTDOWN_GRACE_S

    stop_s = float(re.search(r"^TimeoutStopSec=(\d+)$", (SYSTEMD / "edge-agent.service").read_text(), re.M).group(1))
    assert stop_s / 2 <= SHUTDOWN_GRACE_S <= stop_s - 3


def test_the_rfcomm_template_verifies(tmp_path: Path) -> None:
    unit = tmp_path / "edge-agent-rfcomm@.service"
    text = (SYSTEMD / unit.name).read_text()
    if not Path("/usr/bin/rfcomm").exists():  # bluez is not installed here: verify checks the binary exists
        text = text.replace("/usr/bin/rfcomm", shutil.which("true") or "/bin/true")
    unit.write_text(text)
    instance = tmp_path / "edge-agent-rfcomm@0.service"
    instance.symlink_to(unit)
    r = subprocess.run(["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_install_sh_into_a_temporary_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    r = subprocess.run([str(SYSTEMD / "install.sh"), "--root", str(root), "--no-venv"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (root / "etc/systemd/system/edge-agent.service").read_text() == (SYSTEMD / "edge-agent.service").read_text()
    assert (root / "etc/systemd/system/edge-agent-rfcomm@.service").is_file()
    assert (root / "usr/lib/sysusers.d/edge-agent.conf").is_file()
    assert (root / "usr/lib/tmpfiles.d/edge-agent.conf").is_file()
    assert (root / "usr/share/edge-agent/udev/60-edge-agent-serial.rules").is_file()
    passwd = (root / "etc/passwd").read_text()
    assert re.search(r"^edge-agent:x:\d+:\d+:", passwd, re.M)
    groups = {line.split(":")[0]: line.split(":")[3] for line in (root / "etc/group").read_text().splitlines()}
    assert "edge-agent" in groups["bluetooth"].split(",") and "edge-agent" in groups["dialout"].split(",")
    modes = {"etc/edge-agent": 0o755, "etc/edge-agent/credentials": 0o700, "var/lib/edge-agent": 0o750}
    for d, mode in modes.items():
        assert (root / d).is_dir() and (root / d).stat().st_mode & 0o777 == mode, d
    assert (root / "etc/edge-agent/lsl_api.cfg").read_text() == LOOPBACK_CONFIG  # the driver's own text
    assert "systemctl" not in r.stdout.replace("no systemctl", "")  # a temporary root is not the running system
