#!/usr/bin/env bash
# A property-based fuzzer (schemathesis) against the OpenAPI document a freshly started server
# serves: every operation gets generated requests, valid and invalid, and the run fails on any
# 5xx, any answer whose body contradicts the documented schema, any undocumented status code
# and any content type the document does not name.
#
#   scripts/fuzz-api.sh install    install schemathesis (done by scripts/bootstrap.sh --tests)
#   scripts/fuzz-api.sh run BIN    start BIN (modelyard) on 127.0.0.1 and fuzz it
#
# Bounded and repeatable: a fixed seed, one worker, at most $MODELYARD_FUZZ_EXAMPLES (default 50)
# examples per operation and phase, stopped after $MODELYARD_FUZZ_SECONDS (default 600). The server
# runs on SQLite and local files in a temporary directory; requests are made as an admin, so
# every operation is reachable. schemathesis comes from a virtual environment under
# ~/.cache/modelyard, one per version of scripts/fuzz-requirements.txt, installed from PyPI
# (wheels only) the first time.
set -euo pipefail

command=${1:-}
requirements="$(cd "$(dirname "$0")" && pwd)/fuzz-requirements.txt"
source "$(dirname "$0")/venv.sh"
venv=$(venv_for fuzz "$requirements")
examples=${MODELYARD_FUZZ_EXAMPLES:-50}
budget=${MODELYARD_FUZZ_SECONDS:-600}

say() { printf '%s\n' "$*" >&2; }

install() {
  install_venv "$venv" "$requirements" schemathesis --only-binary=:all:
}

healthy() {
  python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

run() {
  local bin=${1:?usage: scripts/fuzz-api.sh run BIN}
  install
  local dir port pid token status=0
  dir=$(mktemp -d)
  port=$(free_port)
  # The server's own variables from the caller's environment would change what is fuzzed.
  local -a clean=(env -u DATABASE_URL -u STORAGE_URL)
  "${clean[@]}" "$bin" user add fuzz --admin --data-dir "$dir/data" <<<"fuzz-password-1" >/dev/null
  token=$("${clean[@]}" "$bin" token add fuzzer --user fuzz --data-dir "$dir/data")
  "${clean[@]}" RUST_LOG=warn NO_COLOR=1 "$bin" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" \
    >"$dir/server.log" 2>&1 </dev/null &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' RETURN
  for _ in $(seq 1 300); do
    healthy "http://127.0.0.1:$port/healthz" && break
    kill -0 "$pid" 2>/dev/null || { say "the server stopped at start:"; cat "$dir/server.log" >&2; return 1; }
    sleep 0.1
  done
  timeout "$budget" "$venv/bin/schemathesis" --no-color run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" --seed 1 --workers 1 \
    --request-timeout 30 || status=$?
  if grep -q "ERROR\|panicked" "$dir/server.log"; then
    say "--- the server logged errors ---"
    grep "ERROR\|panicked" "$dir/server.log" | head -40 >&2
    status=1
  fi
  return "$status"
}

case "$command" in
  install) install ;;
  run) shift; run "$@" ;;
  *) say "usage: scripts/fuzz-api.sh install | run BIN"; exit 2 ;;
esac
