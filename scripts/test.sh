#!/usr/bin/env bash
# Installs what the tests need, then runs every check and test: formatting, clippy for the
# server and the WASM build, unit and HTTP integration tests, and Playwright in Chromium (with
# and without JavaScript). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's wall-clock time is listed at the end, to see where a run's time goes.
timings=()
current_step=""
step_started=$SECONDS
end_step() {
  if [ -n "$current_step" ]; then
    timings+=("$(printf '%5ds  %s' $((SECONDS - step_started)) "$current_step")")
  fi
  current_step="${1:-}"
  step_started=$SECONDS
}
step() {
  end_step "$*"
  printf '\n\033[1m==> %s\033[0m\n' "$*"
}
report_timings() {
  end_step
  printf '\nTime per step (%d s in all, set-up included):\n' "$SECONDS"
  printf '%s\n' "${timings[@]}"
}
failures=()

step "install what the tests need (skipped where present)"
scripts/bootstrap.sh --tests
source scripts/env.sh

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

outputs=$(mktemp -d)
# The PostgreSQL cluster runs as the `postgres` user when this runs as root: it must reach it.
services=$(mktemp -d)
chmod 755 "$services"
cleanup() {
  scripts/pg-server.sh stop "$services/pg" || true
  scripts/s3-server.sh stop "$services/s3" || true
  rm -rf "$outputs" "$services"
}
trap cleanup EXIT

step "unit and HTTP integration tests"
# No doc tests: the crate has none, and an empty run would close the output.
cargo test --features ssr --lib --bins --tests 2>&1 | tee "$outputs/cargo.txt" ||
  failures+=("cargo test")

step "unit and HTTP integration tests again, on PostgreSQL and S3-compatible storage"
# A PostgreSQL server and an S3-compatible server on loopback, for this run only; every test
# server gets its own database and its own prefix in the bucket (tests/common/mod.rs).
if pg_env=$(scripts/pg-server.sh start "$services/pg") && s3_env=$(scripts/s3-server.sh start "$services/s3"); then
  (
    eval "$pg_env"
    eval "$s3_env"
    export MODELYARD_TEST_S3_URL=s3://modelyard-test MODELYARD_TEST_S3_BUCKET=modelyard-test
    export MODELYARD_REQUIRE_S3_TESTS=1
    cargo test --features ssr --lib --bins --tests
  ) 2>&1 | tee "$outputs/cargo-scale.txt" || failures+=("cargo test (PostgreSQL + S3)")
else
  failures+=("starting PostgreSQL and the S3-compatible server")
fi

step "end-to-end tests (Playwright, Chromium)"
MODELYARD_BIN="$CARGO_TARGET_DIR/debug/modelyard" end2end/run.sh 2>&1 | tee "$outputs/e2e.txt" ||
  failures+=("end-to-end")

# One closing line for every test run above.
sum() { { grep -aoE "$1" "$2" || true; } | awk '{ match($0, /[0-9]+/); s += substr($0, RSTART, RLENGTH) } END { print s + 0 }'; }
passed=$(( $(sum '[0-9]+ passed;' "$outputs/cargo.txt") + $(sum '[0-9]+ passed;' "$outputs/cargo-scale.txt") + $(sum '^ *[0-9]+ passed' "$outputs/e2e.txt") ))
failed=$(( $(sum '[0-9]+ failed;' "$outputs/cargo.txt") + $(sum '[0-9]+ failed;' "$outputs/cargo-scale.txt") + $(sum '^ *[0-9]+ failed' "$outputs/e2e.txt") ))

report_timings
if [ ${#failures[@]} -gt 0 ]; then
  printf '\n\033[31mFAILED: %s\033[0m\n' "${failures[*]}"
  [ "$failed" -gt 0 ] || failed=1
  printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
  exit 1
fi
printf '\n\033[32mAll checks and tests passed.\033[0m\n'
printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
