#!/usr/bin/env bash
# Installs what the tests need, then runs every check and test: formatting, clippy for the
# server and the WASM build, unit and HTTP integration tests (on SQLite and local files, then on
# PostgreSQL and S3-compatible storage), and Playwright in Chromium (with and without
# JavaScript). Exits non-zero if anything fails.
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

outputs=$(mktemp -d)
# The PostgreSQL cluster runs as the `postgres` user when this runs as root: it must reach it.
services=$(mktemp -d)
chmod 755 "$services"
job_pids=()
cleanup() {
  local pid
  for pid in ${job_pids[@]+"${job_pids[@]}"}; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  scripts/pg-server.sh stop "$services/pg" || true
  scripts/s3-server.sh stop "$services/s3" || true
  rm -rf "$outputs" "$services"
}
trap cleanup EXIT

# Test passes that run side by side: each writes to its own file, shown whole once it ends, so
# the output reads as if they had run one after another.
declare -A job_pid job_title
start_job() {
  local name="$1" title="$2"
  shift 2
  job_title[$name]="$title"
  printf '    started: %s\n' "$title"
  # A process group of its own (set -m), so cleanup can stop everything the pass started.
  set -m
  (
    started=$SECONDS
    status=0
    "$@" >"$outputs/$name.txt" 2>&1 || status=$?
    echo $((SECONDS - started)) >"$outputs/$name.seconds"
    exit "$status"
  ) &
  set +m
  job_pid[$name]=$!
  job_pids+=("$!")
}
# Waits for a pass, prints its output and timing; answers its exit status.
finish_job() {
  local name="$1" status=0
  wait "${job_pid[$name]}" || status=$?
  printf '\n\033[1m==> %s\033[0m\n' "${job_title[$name]}"
  cat "$outputs/$name.txt"
  timings+=("$(printf '%5ds  %s' "$(cat "$outputs/$name.seconds" 2>/dev/null || echo 0)" "  ${job_title[$name]}")")
  return "$status"
}

step "install what the tests need (skipped where present)"
scripts/bootstrap.sh --tests
source scripts/env.sh

step "cargo fmt --check"
cargo fmt --all --check || failures+=("cargo fmt")

# Clippy's lints are applied while the test build compiles the crate (clippy's driver compiles
# as rustc does), so the crate and its dependencies are compiled once, not once to check and
# once more to build. The same variables stay set for the test runs below, or cargo would
# compile the crate again without them.
step "build: server and tests, with clippy's lints (-D warnings)"
use_clippy_lints
if ! cargo test --features ssr --lib --tests --no-run; then
  failures+=("clippy (ssr) or the server build")
  # Whatever the lints found, the tests still run: build once more without them.
  unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
  cargo test --features ssr --lib --tests --no-run || failures+=("server build")
fi

# The release build, as people get it: the end-to-end tests weigh its pages.
step "build: WASM and CSS (release), with clippy's lints (-D warnings)"
if ! scripts/build-site.sh --release --lint; then
  failures+=("clippy (hydrate) or the WASM build")
  scripts/build-site.sh --release || failures+=("WASM build")
fi

# cargo-nextest (on the machines this runs on) runs the tests of all binaries side by side, each
# in a process of its own, and every one of them even when some fail; cargo test is the fallback.
# No doc tests: the crate has none.
run_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --features ssr --lib --tests --no-fail-fast --hide-progress-bar
  else
    cargo test --features ssr --lib --tests --no-fail-fast
  fi
}

step "unit and HTTP integration tests (SQLite, local files)"
run_tests 2>&1 | tee "$outputs/cargo.txt" || failures+=("unit and HTTP integration tests")

# Generated requests against every documented operation of a fresh server: no 5xx, no answer
# the OpenAPI document does not describe (status, content type, body).
step "API fuzzer (schemathesis) against the served OpenAPI document"
scripts/fuzz-api.sh run "$CARGO_TARGET_DIR/debug/modelyard" 2>&1 | tee "$outputs/fuzz.txt" ||
  failures+=("API fuzzer")

# The second pass of the HTTP tests and the browser tests use different servers and databases,
# and the browser tests leave a core idle most of the time: they run side by side.
step "concurrently: tests on PostgreSQL and S3, and end-to-end tests"
scale_tests() {
  eval "$pg_env"
  eval "$s3_env"
  export MODELYARD_TEST_S3_URL=s3://modelyard-test MODELYARD_TEST_S3_BUCKET=modelyard-test
  export MODELYARD_REQUIRE_S3_TESTS=1
  run_tests
}
end_to_end() {
  MODELYARD_BIN="$CARGO_TARGET_DIR/debug/modelyard" end2end/run.sh "$@"
}
scale_started=false
# A PostgreSQL server and an S3-compatible server on loopback, for this run only; every test
# server gets its own database and its own prefix in the bucket (tests/common/mod.rs).
if pg_env=$(scripts/pg-server.sh start "$services/pg") && s3_env=$(scripts/s3-server.sh start "$services/s3"); then
  start_job scale "unit and HTTP integration tests again, on PostgreSQL and S3-compatible storage" scale_tests
  scale_started=true
else
  failures+=("starting PostgreSQL and the S3-compatible server")
fi
start_job e2e "end-to-end tests (Playwright, Chromium, with and without JavaScript)" end_to_end
if $scale_started; then
  finish_job scale || failures+=("cargo test (PostgreSQL + S3)")
  cp "$outputs/scale.txt" "$outputs/cargo-scale.txt"
fi
finish_job e2e || failures+=("end-to-end")

# One closing line for every test run above, from the summaries of cargo-nextest ("430 tests
# run: 428 passed, 2 failed"; the output of a failed test, which it shows, has libtest's own
# summary line, counted only when nextest did not run), cargo test ("test result: ok. 5 passed;
# 0 failed") and Playwright ("  43 passed").
count() {
  local what="$1" file summaries
  shift
  for file in "$@"; do
    [ -f "$file" ] || continue
    if grep -aq 'tests run:' "$file"; then
      summaries='tests run:'
    else
      summaries='test result:|^ *[0-9]+ (passed|failed|flaky|timed out)'
    fi
    { grep -aE "$summaries" "$file" || true; } | { grep -oE "[0-9]+ $what" || true; }
  done | awk '{ s += $1 } END { print s + 0 }'
}
test_outputs=("$outputs/cargo.txt" "$outputs/cargo-scale.txt" "$outputs/e2e.txt")
passed=$(count passed "${test_outputs[@]}")
failed=$(( $(count failed "${test_outputs[@]}") + $(count 'timed out' "${test_outputs[@]}") ))

report_timings
if [ ${#failures[@]} -gt 0 ]; then
  printf '\n\033[31mFAILED: %s\033[0m\n' "${failures[*]}"
  [ "$failed" -gt 0 ] || failed=1
  printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
  exit 1
fi
printf '\n\033[32mAll checks and tests passed.\033[0m\n'
printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
