#!/usr/bin/env bash
# Builds Modelyard (release) and serves it at http://127.0.0.1:3000 with SQLite and local files
# under ./data. Extra arguments go to `modelyard serve` (e.g. --addr 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
source scripts/env.sh

# The server and the browser bundle build side by side: they share no build outputs, and most of
# the bundle's optimization (link-time optimization into one unit, then wasm-opt) uses a single
# core while the server's compilation uses the other. The bundle's output goes to a log, shown
# if it fails.
site_log="$CARGO_TARGET_DIR/site-build.log"
mkdir -p "$CARGO_TARGET_DIR"
printf '\033[1m==> Building the browser bundle in the background (log: %s)\033[0m\n' "$site_log" >&2
scripts/build-site.sh --release >"$site_log" 2>&1 &
site_pid=$!
trap 'kill "$site_pid" 2>/dev/null || true' EXIT

printf '\033[1m==> Building the server (release)\033[0m\n' >&2
cargo build --release --features ssr --bin modelyard

printf '\033[1m==> Waiting for the browser bundle\033[0m\n' >&2
if ! wait "$site_pid"; then
  cat "$site_log" >&2
  echo "run.sh: building the browser bundle failed (log above, also in $site_log)" >&2
  exit 1
fi
trap - EXIT
exec "$CARGO_TARGET_DIR/release/modelyard" serve --site-root "$MODELYARD_SITE_ROOT" "$@"
