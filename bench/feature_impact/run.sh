#!/usr/bin/env bash
# Feature-impact benchmark: `modelyard feature-impact` against scikit-learn's
# permutation_importance on the same random forest and rows. See bench/README.md.
#
#   bench/feature_impact/run.sh                 # 10000 rows, 15 features, 100 trees
#   bench/feature_impact/run.sh --rows 2000     # options go to bench.py (--help lists them)
#   MODELYARD_BIN=path/to/modelyard bench/feature_impact/run.sh   # skip the build
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
source scripts/env.sh

# Python packages: the pinned set the feature-impact fixtures are made with (scikit-learn,
# skl2onnx, onnx), in a virtual environment outside the repository, reused while the pins stay
# the same.
venv="${XDG_CACHE_HOME:-$HOME/.cache}/modelyard/bench-venv"
requirements="$root/scripts/fixtures-requirements.txt"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$wanted" ]; then
    echo "Setting up $venv from $requirements (PyPI)..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r "$requirements"
    echo "$wanted" >"$venv/.requirements-sha256"
fi

if [ -z "${MODELYARD_BIN:-}" ]; then
    echo "Building the release binary (the first release build takes about 12 minutes)..." >&2
    nice -n 10 cargo build --release --features ssr --bin modelyard
    MODELYARD_BIN="$CARGO_TARGET_DIR/release/modelyard"
fi

exec "$venv/bin/python" "$here/bench.py" --bin "$MODELYARD_BIN" "$@"
