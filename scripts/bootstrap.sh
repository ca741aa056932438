#!/usr/bin/env bash
# Installs what building Modelyard needs, skipping whatever is already there.
#   scripts/bootstrap.sh          build tools (the WASM target, Tailwind CSS and wasm-opt)
#   scripts/bootstrap.sh --tests  also what the tests need (Chromium, Playwright, PostgreSQL,
#                                 an S3-compatible server)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
[ "${1:-}" = "--tests" ] && want_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# npm packages live outside the clone, one directory per version of the lock file, so a fresh
# clone links to them instead of installing again:
#   npm_modules DIR   gives DIR/node_modules the packages of DIR/package-lock.json
npm_modules() {
  local dir="$1" key store
  key=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -c1-16)
  store="$cache/npm/$(basename "$(cd "$dir" && pwd)")-$key"
  if [ ! -f "$store/.complete" ]; then
    say "Installing the npm packages of $dir/package-lock.json into $store"
    rm -rf "$store"
    mkdir -p "$store"
    cp "$dir/package.json" "$dir/package-lock.json" "$store/"
    # Not `npm ci`: npm 11 leaves other platforms' optional packages out of the lock file and
    # then refuses it; `install --no-save` follows the lock file without rewriting it.
    (cd "$store" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save)
    touch "$store/.complete"
  fi
  if [ "$(readlink "$dir/node_modules" 2>/dev/null)" != "$store/node_modules" ]; then
    rm -rf "$dir/node_modules"
    ln -s "$store/node_modules" "$dir/node_modules"
  fi
}
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/modelyard"

# Tailwind CSS and wasm-opt come from npm (binaries inside the packages, nothing downloaded).
npm_modules .

if $want_tests; then
  # Debian's packages, in one apt-get run: Chromium for the end-to-end tests, PostgreSQL for the
  # scale-out tests, python3-venv for the S3-compatible server's virtual environment.
  packages=()
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
  python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
  if [ ${#packages[@]} -gt 0 ]; then
    say "Installing ${packages[*]} (Debian packages) for the tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${packages[@]}"
  fi
  # Playwright, the library only: it drives Debian's Chromium.
  npm_modules end2end
  # The S3-compatible test server (moto), from PyPI into a virtual environment of its own.
  scripts/s3-server.sh install
  # The API fuzzer (schemathesis), the same way.
  scripts/fuzz-api.sh install
fi
