# Sourced by the scripts: where builds go and which tools are on PATH.
# Build outputs live outside the clone so repeated runs on one machine reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/modelyard/target}"
export PATH="$PWD/node_modules/.bin:${HOME:-/root}/.cargo/bin:$PATH"
# scripts/build-site.sh writes the built site (WASM, JS, CSS) to target/site in the repository.
export MODELYARD_SITE_ROOT="${MODELYARD_SITE_ROOT:-$PWD/target/site}"
