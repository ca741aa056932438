#!/usr/bin/env bash
# Modelyard against the MLflow tracking server: seeding rate, requests/s and p50/p99 latency of
# three read operations at concurrency 1 and 32, and memory; then the same reads against one
# and two Modelyard instances on one PostgreSQL database (when installed). See bench/README.md.
#
#   bench/mlflow/run.sh                                   # 1000 models x 10 versions
#   bench/mlflow/run.sh --models 200 --count 5000 --time-cap 5   # a quick run
#   bench/mlflow/run.sh --json mlflow.json --strict       # options go to bench.py (--help)
#   MODELYARD_BIN=path/to/modelyard bench/mlflow/run.sh   # another server binary
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/modelyard/target}"
export PATH="${HOME:-/root}/.cargo/bin:$PATH"

# MLflow from PyPI, in a virtual environment outside the repository, set up only when it is
# missing or requirements.txt changed. Without it the benchmark still measures Modelyard.
venv="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/modelyard/bench-mlflow-venv"
requirements="$here/requirements.txt"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
mlflow=""
if [ -x "$venv/bin/mlflow" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$wanted" ]; then
    mlflow="$venv/bin/mlflow"
else
    echo "Setting up $venv from $requirements (PyPI, about 850 MB)..." >&2
    if python3 -m venv "$venv" \
        && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" \
        && [ -x "$venv/bin/mlflow" ]; then
        echo "$wanted" >"$venv/.requirements-sha256"
        mlflow="$venv/bin/mlflow"
    else
        echo "MLflow could not be installed into $venv; benchmarking Modelyard alone." >&2
    fi
fi

# The server: an existing release build is used as it is; it is built only when missing.
if [ -z "${MODELYARD_BIN:-}" ]; then
    MODELYARD_BIN="$CARGO_TARGET_DIR/release/modelyard"
    if [ ! -x "$MODELYARD_BIN" ]; then
        echo "Building the release binary (the first release build takes about 12 minutes)..." >&2
        (cd "$root" && nice -n 10 cargo build --release --features ssr --bin modelyard)
    fi
fi

# The load generator: a crate of its own (bench/loadgen), built once and then up to date.
nice -n 10 cargo build --quiet --release --manifest-path "$here/../loadgen/Cargo.toml"
loadgen="$CARGO_TARGET_DIR/release/modelyard-loadgen"

exec python3 "$here/bench.py" --modelyard-bin "$MODELYARD_BIN" --loadgen "$loadgen" \
    --mlflow "$mlflow" "$@"
