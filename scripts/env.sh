# Sourced by the scripts: where builds go and which tools are on PATH.
# Build outputs live outside the clone so repeated runs on one machine reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/modelyard/target}"
export PATH="$PWD/node_modules/.bin:${HOME:-/root}/.cargo/bin:$PATH"
# scripts/build-site.sh writes the built site (WASM, JS, CSS) to target/site in the repository.
export MODELYARD_SITE_ROOT="${MODELYARD_SITE_ROOT:-$PWD/target/site}"

# Makes the following cargo builds apply clippy's lints (-D warnings) while they compile the
# workspace's crates: clippy's driver compiles as rustc does, so nothing is compiled twice.
use_clippy_lints() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
  export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-Dwarnings"
}
