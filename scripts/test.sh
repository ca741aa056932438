#!/usr/bin/env bash
# Installs what the tests need, then runs every check and test: formatting, clippy for the
# server and the WASM build, unit and HTTP integration tests, and Playwright in Chromium (with
# and without JavaScript). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --tests
source scripts/env.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
failures=()

step "cargo fmt --check"
cargo fmt --check || failures+=("cargo fmt")

step "clippy: server build"
cargo clippy --features ssr --all-targets -- -D warnings || failures+=("clippy (ssr)")

step "clippy: WASM build"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings ||
  failures+=("clippy (hydrate)")

# The server binary comes from `cargo test` (it builds the binary the HTTP tests start), so
# only the browser side is built here: compiling the server twice would double the build time.
step "build: WASM and CSS"
cargo leptos build --frontend-only

step "unit and HTTP integration tests"
cargo test --features ssr || failures+=("cargo test")

step "end-to-end tests (Playwright, Chromium)"
MODELYARD_BIN="$CARGO_TARGET_DIR/debug/modelyard" end2end/run.sh || failures+=("end-to-end")

if [ ${#failures[@]} -gt 0 ]; then
  printf '\n\033[31mFAILED: %s\033[0m\n' "${failures[*]}"
  exit 1
fi
printf '\n\033[32mAll checks and tests passed.\033[0m\n'
