# Sourced by the scripts in scripts/: find Python >= 3.11 and make the project's virtualenv.
# EDGE_AGENT_VENV overrides where it lives (default: .venv in the repository).

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${EDGE_AGENT_VENV:-$repo_root/.venv}"

find_python() {
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "edge-agent needs Python 3.11 or newer (with venv); install it, e.g. apt-get install python3 python3-venv" >&2
  return 1
}

# What an install is made from: pyproject.toml's requirements and the versions constraints.txt pins.
install_stamp() {
  cat "$repo_root/pyproject.toml" "$repo_root/constraints.txt" | sha256sum | cut -d' ' -f1
}

# ensure_venv EXTRAS: create the virtualenv if needed and install the project with those extras, at
# the versions constraints.txt pins (scripts/lock writes it), only when pyproject.toml or
# constraints.txt changed since the last install (the install is editable: code changes need
# none). The stamp records what was installed; "dev" includes the plain install.
ensure_venv() {
  local extras="$1" py want stamp
  if [ ! -x "$venv/bin/python" ]; then
    py="$(find_python)"
    echo "==> creating virtualenv $venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
  fi
  want="$(install_stamp)"
  local stamps=("$venv/.installed-${extras:-base}")
  [ -z "$extras" ] && stamps+=("$venv/.installed-dev")
  for stamp in "${stamps[@]}"; do
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      echo "==> vr-edge-agent${extras:+[$extras]} is installed in $venv (pyproject.toml and constraints.txt unchanged)"
      return 0
    fi
  done
  echo "==> installing vr-edge-agent${extras:+[$extras]} into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --constraint "$repo_root/constraints.txt" -e "$repo_root${extras:+[$extras]}"
  echo "$want" > "$venv/.installed-${extras:-base}"
}
