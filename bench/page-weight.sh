#!/usr/bin/env bash
# Page weight: builds the release site and the server, then runs the end-to-end journeys that
# make the data and the page-weight spec (end2end/tests/weight.spec.ts) in Chromium, which prints
# the bytes on the wire of a cold first load of the five main pages, per page and per resource.
#   bench/page-weight.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/build-site.sh --release
cargo build --features ssr
MODELYARD_BIN="$CARGO_TARGET_DIR/debug/modelyard" end2end/run.sh --project=hydrated \
  tests/journey.spec.ts tests/version_feature_impact.spec.ts tests/weight.spec.ts
