#!/usr/bin/env bash
# Runs the Playwright end-to-end tests against two fresh Modelyard servers: one for the hydrated
# project and one for the no-JS project (the first-admin setup can happen only once per database).
#
# Build first (`cargo build --features ssr` and scripts/build-site.sh), then:
#   end2end/run.sh [playwright args, e.g. --project=no-js or tests/upload.spec.ts]
#   MODELYARD_BIN        server binary (default: ${CARGO_TARGET_DIR:-target}/debug/modelyard)
#   MODELYARD_SITE_ROOT  site with the WASM bundle (default: target/site)
# With one --project=NAME only that project's server starts, and its results go to
# test-results/NAME, so the two projects can run at the same time from two shells.
# Relative paths are taken from the repository root. Exits with Playwright's status.
set -euo pipefail

e2e_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$e2e_dir")"

from_repo_root() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$repo_root/$1" ;;
  esac
}

server_bin="$(from_repo_root "${MODELYARD_BIN:-${CARGO_TARGET_DIR:-target}/debug/modelyard}")"
site_root="$(from_repo_root "${MODELYARD_SITE_ROOT:-target/site}")"

if [[ ! -x "$server_bin" ]]; then
  echo "run.sh: no server binary at $server_bin; build it (cargo build --features ssr) or set MODELYARD_BIN" >&2
  exit 2
fi
if [[ ! -d "$site_root/pkg" ]]; then
  echo "run.sh: no WASM bundle in $site_root/pkg; build it (cargo build --features ssr) or set MODELYARD_SITE_ROOT" >&2
  exit 2
fi

if [[ ! -d "$e2e_dir/node_modules" ]]; then
  (cd "$e2e_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save)
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/modelyard-e2e.XXXXXX")"
server_pids=()

cleanup() {
  local pid
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # Give each server 10 s to shut down gracefully before forcing it.
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

print_logs() {
  local name
  for name in hydrated no-js; do
    if [[ -f "$work_dir/$name/server.log" ]]; then
      echo "===== $name server log =====" >&2
      cat "$work_dir/$name/server.log" >&2
    fi
  done
}

# Two free loopback ports, picked together so they differ.
read -r hydrated_port nojs_port < <(node -e '
  const net = require("node:net");
  const servers = [net.createServer(), net.createServer()];
  Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
    console.log(servers.map((s) => s.address().port).join(" "));
    servers.forEach((s) => s.close());
  });
')

start_server() {
  local name="$1" port="$2"
  mkdir -p "$work_dir/$name/data"
  # DATABASE_URL would take precedence over --data-dir: each server must get its own fresh database.
  env -u DATABASE_URL NO_COLOR=1 "$server_bin" serve \
    --addr "127.0.0.1:$port" \
    --data-dir "$work_dir/$name/data" \
    --site-root "$site_root" \
    >"$work_dir/$name/server.log" 2>&1 &
  server_pids+=("$!")
}

wait_until_healthy() {
  local name="$1" port="$2" pid="$3"
  local deadline=$((SECONDS + 30))
  until curl --silent --fail --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: the $name server exited before answering /healthz" >&2
      print_logs
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "run.sh: the $name server did not answer /healthz on port $port within 30 s" >&2
      print_logs
      exit 1
    fi
    sleep 0.2
  done
}

# The projects named by --project=NAME, or both.
projects=()
for arg in "$@"; do
  case "$arg" in
    --project=*) projects+=("${arg#--project=}") ;;
  esac
done
[[ ${#projects[@]} -gt 0 ]] || projects=(hydrated no-js)
extra_args=()
if [[ ${#projects[@]} -eq 1 ]]; then
  extra_args+=("--output=test-results/${projects[0]}")
fi

declare -A port_of=([hydrated]=$hydrated_port [no-js]=$nojs_port)
for project in "${projects[@]}"; do
  if [[ -z "${port_of[$project]:-}" ]]; then
    echo "run.sh: unknown project $project (hydrated or no-js)" >&2
    exit 2
  fi
  start_server "$project" "${port_of[$project]}"
done
for i in "${!projects[@]}"; do
  wait_until_healthy "${projects[$i]}" "${port_of[${projects[$i]}]}" "${server_pids[$i]}"
done

status=0
(
  cd "$e2e_dir"
  E2E_HYDRATED_URL="http://127.0.0.1:$hydrated_port" \
    E2E_HYDRATED_LOG="$work_dir/hydrated/server.log" \
    E2E_NOJS_URL="http://127.0.0.1:$nojs_port" \
    E2E_NOJS_LOG="$work_dir/no-js/server.log" \
    npx --no-install playwright test ${extra_args[@]+"${extra_args[@]}"} "$@"
) || status=$?

if ((status != 0)); then
  echo "run.sh: end-to-end tests failed (exit $status)" >&2
  print_logs
fi
exit "$status"
