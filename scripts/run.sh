#!/usr/bin/env bash
# Builds Modelyard (release) and serves it at http://127.0.0.1:3000 with SQLite and local files
# under ./data. Extra arguments go to `modelyard serve` (e.g. --addr 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
source scripts/env.sh
cargo leptos build --release
exec "$CARGO_TARGET_DIR/release/modelyard" serve --site-root "$MODELYARD_SITE_ROOT" "$@"
