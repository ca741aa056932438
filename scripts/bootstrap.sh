#!/usr/bin/env bash
# Installs what building Modelyard needs, skipping whatever is already there.
#   scripts/bootstrap.sh          build tools (WASM target, cargo-leptos, wasm-bindgen, Tailwind)
#   scripts/bootstrap.sh --tests  also what the tests need (Chromium, Playwright, PostgreSQL,
#                                 an S3-compatible server)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
[ "${1:-}" = "--tests" ] && want_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The build tools' own speed hardly matters here, so they are built without link-time
# optimization and with parallel code generation: most of a release build of them is otherwise
# spent in single-threaded LTO.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 cargo install "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.11 needs a newer rustc; without --locked newer dependencies do too.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "Installing cargo-leptos 0.3.10 (several minutes on 2 cores)"
  tool_install cargo-leptos --locked --version 0.3.10
fi

# The wasm-bindgen CLI must be exactly the version in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wb_version}\$"; then
  say "Installing wasm-bindgen-cli ${wb_version}"
  # --locked fails for this crate (a locked dependency is gone from the registry).
  tool_install wasm-bindgen-cli --version "${wb_version}"
fi

# Tailwind CSS and wasm-opt come from npm, so cargo-leptos never downloads binaries.
if [ ! -x node_modules/.bin/tailwindcss ] || [ package.json -nt node_modules/.bin/tailwindcss ]; then
  say "Installing Tailwind CSS and binaryen from npm"
  # Not `npm ci`: npm 11 leaves other platforms' optional packages out of the lock file and
  # then refuses it; `install --no-save` follows the lock file without rewriting it.
  npm install --no-audit --no-fund --no-save
fi

if $want_tests; then
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Chromium (Debian package) for the end-to-end tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q chromium
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "Installing Playwright (the library only; it drives Debian's Chromium)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save)
  fi
  # The S3-compatible test server (moto) is installed from PyPI into a virtual environment.
  if ! command -v moto_server >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    say "Installing python3-venv (Debian package) for the S3-compatible test server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q python3-venv
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "Installing PostgreSQL (Debian package) for the scale-out tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q postgresql
  fi
fi
