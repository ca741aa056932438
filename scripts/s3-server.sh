#!/usr/bin/env bash
# A throwaway S3-compatible server (moto, in memory) on a free loopback port, for the tests.
#
#   scripts/s3-server.sh install                       install moto (done by scripts/bootstrap.sh)
#   eval "$(scripts/s3-server.sh start [STATE_DIR])"   start it; prints the export lines
#   scripts/s3-server.sh stop [STATE_DIR]              stop it
#
# STATE_DIR (default $MODELYARD_S3_STATE_DIR, else /tmp/modelyard-s3) keeps its PID, endpoint,
# log and the export lines (`env`). moto comes from a virtual environment under
# ~/.cache/modelyard, one per version of scripts/s3-server-requirements.txt (every package
# pinned), installed from PyPI the first time. The bucket ($MODELYARD_TEST_S3_BUCKET, default
# modelyard-test) is created at start. Everything but the export lines goes to stderr.
set -euo pipefail

command=${1:-}
state=${2:-${MODELYARD_S3_STATE_DIR:-${TMPDIR:-/tmp}/modelyard-s3}}
bucket=${MODELYARD_TEST_S3_BUCKET:-modelyard-test}
requirements="$(cd "$(dirname "$0")" && pwd)/s3-server-requirements.txt"
source "$(dirname "$0")/venv.sh"
venv=$(venv_for s3 "$requirements")

say() { printf '%s\n' "$*" >&2; }

# Answers 0 when the PID in the state directory is a running moto server.
running() {
  local pid
  pid=$(cat "$state/pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q moto
}

install() {
  install_venv "$venv" "$requirements" moto
}

# One HTTP request with Python (curl may be missing); exits non-zero unless the status is 2xx.
http() {
  python3 - "$1" "$2" <<'PY'
import sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "PUT" else None), timeout=2) as r:
        sys.exit(0 if 200 <= r.status < 300 else 1)
except Exception:
    sys.exit(1)
PY
}

print_exports() {
  cat "$state/env"
}

start() {
  mkdir -p "$state"
  if running; then
    say "moto is already running at $(cat "$state/endpoint") (PID $(cat "$state/pid"))."
    print_exports
    return
  fi
  local moto port endpoint pid
  install
  moto="$venv/bin/moto_server"
  port=$(free_port)
  endpoint="http://127.0.0.1:$port"
  # setsid: the server outlives this script and the shell that ran it.
  setsid "$moto" -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$state/pid"
  echo "$endpoint" >"$state/endpoint"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "moto_server stopped at start; its log:"
      cat "$state/moto.log" >&2
      rm -f "$state/pid"
      exit 1
    fi
    http GET "$endpoint/" && break
    sleep 0.2
  done
  if ! http GET "$endpoint/"; then
    say "moto_server does not answer at $endpoint; its log is $state/moto.log"
    kill "$pid" 2>/dev/null || true
    rm -f "$state/pid"
    exit 1
  fi
  if ! http PUT "$endpoint/$bucket"; then
    say "cannot create the bucket $bucket at $endpoint"
    kill "$pid" 2>/dev/null || true
    rm -f "$state/pid"
    exit 1
  fi
  cat >"$state/env" <<EOF
export AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true
export MODELYARD_TEST_S3_ENDPOINT=$endpoint MODELYARD_TEST_S3_BUCKET=$bucket
EOF
  say "moto is running at $endpoint (PID $pid) with the bucket $bucket."
  print_exports
}

stop() {
  if running; then
    local pid
    pid=$(cat "$state/pid")
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    say "moto stopped (PID $pid)."
  else
    say "moto is not running (no live PID in $state)."
  fi
  rm -f "$state/pid" "$state/endpoint" "$state/env"
}

case "$command" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *)
    say "usage: $0 install|start|stop [STATE_DIR]"
    exit 2
    ;;
esac
