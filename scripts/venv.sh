# Sourced by the scripts that run Python tools from PyPI (scripts/s3-server.sh,
# scripts/fuzz-api.sh): a virtual environment per version of a pinned requirements file, under
# ~/.cache/modelyard, and a free loopback port.

# The virtual environment for a requirements file: one per version of the file.
venv_for() {
  local name="$1" requirements="$2"
  printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/modelyard/venv-$name-$(sha256sum "$requirements" | cut -c1-16)"
}

# Installs every pinned package of `requirements` (no others) into `venv`, once; further
# arguments go to pip.
install_venv() {
  local venv="$1" requirements="$2" what="$3"
  shift 3
  [ -f "$venv/.complete" ] && return
  printf 'Installing %s (%s) into %s (PyPI)...\n' "$what" "${requirements##*/}" "$venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" || {
    printf 'python3 -m venv failed: install Python 3 with venv (Debian: python3-venv)\n' >&2
    exit 1
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$@" -r "$requirements" >&2
  touch "$venv/.complete"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
