#!/usr/bin/env bash
# Install the edge agent as a systemd service.
#
#   sudo systemd/install.sh                 # into this machine
#   systemd/install.sh --root /tmp/image    # into a directory tree (an image, a test): no systemctl
#
# Options:
#   --root DIR      install under DIR (default: $DESTDIR, else /)
#   --extras LIST   pip extras to install (default: ble,serial,lsl)
#   --no-venv       do not create the virtualenv (the units and snippets only)
#   --python EXE    interpreter for the virtualenv (default: python3, 3.11 or newer)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$(dirname "$here")"
root="${DESTDIR:-/}"
extras="ble,serial,lsl"
make_venv=1
python="python3"

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --extras) extras="$2"; shift 2 ;;
    --no-venv) make_venv=0; shift ;;
    --python) python="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
root="${root%/}"
live=0
[ -z "$root" ] && live=1
say() { echo "==> $*"; }

if [ "$live" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: installing into / needs root (or use --root DIR)" >&2
  exit 1
fi

prefix="$root/opt/edge-agent"
if [ "$make_venv" = 1 ]; then
  say "virtualenv in $prefix/venv"
  "$python" -m venv "$prefix/venv"
  "$prefix/venv/bin/pip" install --quiet --upgrade pip
  "$prefix/venv/bin/pip" install --quiet "$src[$extras]"
  install -d "$root/usr/bin"
  ln -sfn /opt/edge-agent/venv/bin/edge-agent "$root/usr/bin/edge-agent"
fi

say "units, sysusers.d, tmpfiles.d"
install -D -m 0644 "$here/edge-agent.service" "$root/etc/systemd/system/edge-agent.service"
install -D -m 0644 "$here/edge-agent-rfcomm@.service" "$root/etc/systemd/system/edge-agent-rfcomm@.service"
install -D -m 0644 "$here/sysusers.d/edge-agent.conf" "$root/usr/lib/sysusers.d/edge-agent.conf"
install -D -m 0644 "$here/tmpfiles.d/edge-agent.conf" "$root/usr/lib/tmpfiles.d/edge-agent.conf"
# udev rules are examples: they need the site's adapters' serial numbers (docs/operations.md)
install -D -m 0644 "$here/udev/60-edge-agent-serial.rules" "$root/usr/share/edge-agent/udev/60-edge-agent-serial.rules"

say "users and directories"
if [ "$live" = 1 ]; then
  systemd-sysusers edge-agent.conf
  systemd-tmpfiles --create edge-agent.conf
else
  systemd-sysusers --root "$root" "$root/usr/lib/sysusers.d/edge-agent.conf"
  systemd-tmpfiles --root "$root" --create "$root/usr/lib/tmpfiles.d/edge-agent.conf"
fi

lslcfg="$root/etc/edge-agent/lsl_api.cfg"
if [ ! -e "$lslcfg" ]; then
  say "loopback-only LSL configuration at /etc/edge-agent/lsl_api.cfg"
  # the same text the LSL driver writes for itself: one source (drivers/lsl/netconfig.py)
  PYTHONPATH="$src" "$python" -c 'from drivers.lsl.netconfig import LOOPBACK_CONFIG; print(LOOPBACK_CONFIG, end="")' \
    | install -D -m 0644 /dev/stdin "$lslcfg"
fi

if [ "$live" = 1 ]; then
  systemctl daemon-reload
  say "installed. Next: edge-agent provision && edge-agent check && systemctl enable --now edge-agent"
else
  say "installed under $root (no systemctl: not the running system)"
fi
