"""Start a private D-Bus bus (``dbus-daemon``) to stand in for the system bus."""

import subprocess
from pathlib import Path

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>{extra}
  </policy>
</busconfig>
"""


# BlueZ's own policy lets only root and the bluetooth group talk to it; this stands in for not being in it.
DENY_BLUEZ = '\n    <deny send_destination="org.bluez"/>'


def start_private_bus(root: Path, extra_policy: str = "") -> tuple[subprocess.Popen[str], str]:
    """The daemon and its address; the daemon's own log goes to ``root/dbus.log``."""
    config = root / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=root / "system_bus_socket", extra=extra_policy))
    with open(root / "dbus.log", "w") as log:
        proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()  # printed once the daemon listens
    if not address.startswith("unix:"):
        stop_private_bus(proc)
        raise RuntimeError(f"dbus-daemon did not start (printed {address!r}); see {root / 'dbus.log'}")
    return proc, address


def stop_private_bus(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()
