#!/usr/bin/env python3
"""Benchmark of Modelyard's server CPU cost per request, its start-up time and its idle memory.

The script starts its own server on a free port with a throwaway data directory, seeds a
registry (1,000 models, one of them with 10,000 versions) through the REST API, and then, for
each operation, sends a fixed number of requests over one keep-alive connection and reads the
server process's CPU time (utime + stime from /proc/PID/stat) before and after. Wall time is not
what is measured: the client, the loopback and the scheduler are left out. Every figure is shown
next to references measured in the same run (the CPU cost of `GET /healthz`, and what it costs
this client to parse and serialize the same response body with Python's json module), so the
results read as ratios as well as absolute numbers. See bench/README.md.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import PASSWORD, CheckFailed, SetupError, log

MIB = 1024 * 1024
SOCKET_TIMEOUT = 120.0
SEED_CONNECTIONS = 4
ADMIN = "bench"
MEMBER = "bench-member"
MODEL_PREFIX = "model-"
BIG_MODEL = "bench-versions"
STARTUP_RUNS = 3
STARTUP_TARGET_MS = 300.0
IDLE_RSS_TARGET_MIB = 40.0
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# A model card as Hugging Face writes them: YAML front matter, then Markdown.
README = (
    "---\nlicense: apache-2.0\ndatasets: [churn-2024]\nlanguage: en\ntags: [tabular]\n---\n"
    "# {name}\n\nPredicts churn from account activity. Trained on the 2024 snapshot.\n\n"
    "## Usage\n\n```python\nimport modelyard\nm = modelyard.load('{name}')\n```\n"
)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads, exited ones too), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def api(*parts: str) -> str:
    return "/api/v1/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)


# --------------------------------------------------------------------------------------------
# The server under test


class Server(harness.Server):
    def __init__(self, binary: str, data_dir: str) -> None:
        # The server's own log settings (its default filter unless RUST_LOG is set): what it
        # logs per request is part of what a request costs. Start-up is timed to the
        # millisecond.
        super().__init__(binary, data_dir, poll_seconds=0.001)


class Client:
    """One keep-alive connection, with a bearer token or a session cookie."""

    def __init__(self, port: int, token: str = "", cookie: str = "") -> None:
        self.port = port
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if cookie:
            self.headers["Cookie"] = cookie
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, auth: bool = True):
        all_headers = dict(self.headers) if auth else {}
        all_headers.update(headers or {})
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=SOCKET_TIMEOUT)
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        if resp.will_close:
            self.close()
        return resp.status, data, resp

    def json(self, method: str, path: str, payload: object = None, expect: int = 200):
        body = None if payload is None else json.dumps(payload).encode()
        status, data, _ = self.request(method, path, body)
        if status != expect:
            raise CheckFailed(f"{method} {path} answered {status}, expected {expect}: "
                              f"{data[:500]!r}")
        return json.loads(data) if data else None


def parallel(port: int, token: str, count: int, make_request, what: str) -> float:
    """Sends `count` requests over SEED_CONNECTIONS connections; `make_request(i)` answers
    (method, path, body, expected status). Answers the seconds it took."""
    lock = threading.Lock()
    state = {"next": 0, "error": None}

    def worker() -> None:
        c = Client(port, token)
        try:
            while True:
                with lock:
                    if state["next"] >= count or state["error"] is not None:
                        return
                    i = state["next"]
                    state["next"] += 1
                method, path, body, expect = make_request(i)
                status, data, _ = c.request(method, path, body)
                if status != expect:
                    raise CheckFailed(f"{method} {path} answered {status}: {data[:300]!r}")
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                if state["error"] is None:
                    state["error"] = e
        finally:
            c.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(SEED_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if state["error"] is not None:
        err = state["error"]
        raise err if isinstance(err, CheckFailed) else CheckFailed(f"{what}: {err!r}")
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# The benchmark


class Bench:
    def __init__(self, args: argparse.Namespace, binary: str) -> None:
        self.args = args
        self.binary = binary
        self.results: dict = {
            "binary": binary,
            "models": args.models,
            "versions": args.versions,
            "scale": args.scale,
            "clk_tck": CLK_TCK,
            "rust_log": os.environ.get("RUST_LOG"),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "operations": [],
            "checks": [],
        }

    def check(self, ok: bool, name: str, detail: str = "", fatal: bool = False) -> bool:
        self.results["checks"].append({"name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            log(f"CHECK FAILED: {name}: {detail}")
            if fatal:
                raise CheckFailed(f"{name}: {detail}")
        return ok

    # -- seeding

    def seed(self, server: Server, admin: Client, token: str) -> None:
        """The model with many versions first, then the others, so the first page of the
        models list (most recently updated first) shows the ordinary models. Every tenth model
        has three versions; `model-0000`, the one the pages and the single-model figures use,
        has five, the newest with a file, published and aliased."""
        args = self.args
        seed: dict = {}
        version_body = json.dumps({
            "description": "Weekly retrain.",
            "tags": ["weekly"],
            "metadata": {"rows": 120000},
            "metrics": [{"key": "auc", "value": 0.91, "step": 1},
                        {"key": "logloss", "value": 0.31, "step": 1}],
            "framework": {"library_name": "sklearn"},
        }).encode()

        admin.json("POST", api("models"), {
            "name": BIG_MODEL, "description": "A model with many versions.",
            "tags": ["bench"], "target_type": "binary", "readme": README.format(name=BIG_MODEL),
            "visibility": "internal",
        }, expect=201)
        path = api("models", BIG_MODEL, "versions")
        log(f"seed: creating {args.versions} versions of {BIG_MODEL} "
            f"over {SEED_CONNECTIONS} connections")
        seconds = parallel(server.port, token, args.versions,
                           lambda _i: ("POST", path, version_body, 201), "creating versions")
        seed["versions_per_s"] = args.versions / seconds if seconds else None
        seed["versions_seconds"] = seconds
        self.big_version = f"0.{args.versions}.0"
        self.finish_version(admin, BIG_MODEL, self.big_version)

        names = [f"{MODEL_PREFIX}{i:04d}" for i in range(args.models - 1)]

        def new_model(i: int):
            name = names[i]
            body = {
                "name": name,
                "description": f"Churn model number {i}, retrained weekly.",
                "tags": ["churn", "tabular", f"team-{i % 10}"],
                "target_type": "binary",
                "target_name": "churned",
                "class_labels": ["no", "yes"],
                "metadata": {"owner": f"team-{i % 10}", "cost_center": i % 7},
                "readme": README.format(name=name),
                # Half internal, half private: a member sees the internal ones.
                "visibility": "internal" if i % 2 == 0 else "private",
            }
            return "POST", api("models"), json.dumps(body).encode(), 201

        log(f"seed: creating {len(names)} models over {SEED_CONNECTIONS} connections")
        start = time.perf_counter()
        parallel(server.port, token, len(names), new_model, "creating models")
        few = [n for i, n in enumerate(names) if i % 10 == 0 and i > 0 for _ in range(3)]
        few += [names[0]] * 5
        parallel(server.port, token, len(few),
                 lambda i: ("POST", api("models", few[i], "versions"), version_body, 201),
                 "creating versions of the other models")
        seconds = time.perf_counter() - start
        seed["models_per_s"] = len(names) / seconds if seconds else None
        seed["models_seconds"] = seconds
        seed["other_versions"] = len(few)
        self.model = names[0]
        self.version = "0.5.0"
        self.finish_version(admin, self.model, self.version)
        self.results["seed"] = seed

    def finish_version(self, admin: Client, model: str, version: str) -> None:
        """A file, published, an alias: what a version page shows."""
        vpath = ("models", model, "versions", version)
        status, data, _ = admin.request(
            "PUT", api(*vpath, "files", "README.md"),
            b"# Weekly retrain\n\nNothing special.\n",
            headers={"Content-Type": "application/octet-stream"})
        self.check(status == 201, "PUT a file answers 201", f"got {status}: {data[:300]!r}",
                   fatal=True)
        admin.json("POST", api(*vpath, "publish"))
        admin.json("PUT", api("models", model, "aliases", "champion"), {"version": version})

    # -- measuring

    def measure(self, server: Server, client: Client, key: str, label: str, path: str,
                requests: int, target_ms: float | None, check=None) -> dict:
        requests = max(1, int(requests * self.args.scale))
        status, body, resp = client.request("GET", path)  # warm, and checked
        self.check(status == 200, f"{label}: GET answers 200", f"got {status}: {body[:300]!r}",
                   fatal=True)
        if check is not None:
            check(body)
        for _ in range(min(20, requests)):
            client.request("GET", path)
        pid = server.pid
        statuses: set[int] = set()
        recorder = self.start_profile(pid, key)
        cpu_before = cpu_seconds(pid)
        wall = time.perf_counter()
        client_cpu = time.process_time()
        for _ in range(requests):
            status, body, _ = client.request("GET", path)
            statuses.add(status)
        client_cpu = time.process_time() - client_cpu
        wall = time.perf_counter() - wall
        cpu = cpu_seconds(pid) - cpu_before
        self.stop_profile(recorder)
        self.check(statuses == {200}, f"{label}: every request answers 200",
                   f"got {sorted(statuses)}")
        # The client-side reference: parsing and serializing this body with Python's json.
        json_ms = None
        if (resp.getheader("Content-Type") or "").startswith("application/json"):
            rounds = max(10, min(200, requests // 5))
            t = time.perf_counter()
            for _ in range(rounds):
                json.dumps(json.loads(body))
            json_ms = (time.perf_counter() - t) * 1000 / rounds
        cpu_ms = cpu * 1000 / requests
        row = {
            "key": key,
            "operation": label,
            "path": path,
            "requests": requests,
            "body_bytes": len(body),
            "server_cpu_ms_per_request": cpu_ms,
            "server_cpu_ms_total": cpu * 1000,
            "cpu_resolution_ms_per_request": 1000 / CLK_TCK / requests,
            "wall_ms_per_request": wall * 1000 / requests,
            "client_cpu_ms_per_request": client_cpu * 1000 / requests,
            "client_json_roundtrip_ms": json_ms,
            "target_ms": target_ms,
            "pass": None if target_ms is None else cpu_ms <= target_ms,
        }
        self.results["operations"].append(row)
        log(f"  {label}: {cpu_ms:.3f} ms CPU per request ({requests} requests)")
        return row

    def start_profile(self, pid: int, key: str):
        """With --perf DIR, samples the server (perf's cpu-clock, call graphs by frame pointer)
        while an operation is measured, into DIR/KEY.data; the figures then include perf's cost."""
        if not self.args.perf:
            return None
        import subprocess
        os.makedirs(self.args.perf, exist_ok=True)
        out = os.path.join(self.args.perf, f"{key}.data")
        proc = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-g",
                                 "-p", str(pid), "-o", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf attaches
        return proc

    @staticmethod
    def stop_profile(proc) -> None:
        if proc is None:
            return
        import signal
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    def startup(self, server: Server) -> None:
        runs = []
        for i in range(STARTUP_RUNS):
            server.stop()
            ms = server.start()
            runs.append(ms)
            log(f"start-up {i + 1}: {ms:.0f} ms to the first 200 of GET /healthz")
        ms = statistics.median(runs)
        self.results["startup"] = {
            "runs_ms": runs,
            "median_ms": ms,
            "target_ms": STARTUP_TARGET_MS,
            "pass": ms <= STARTUP_TARGET_MS,
        }

    def run(self) -> None:
        args = self.args
        work = tempfile.mkdtemp(prefix="modelyard-cpu-")
        try:
            data_dir = os.path.join(work, "data")
            os.mkdir(data_dir)
            server = Server(self.binary, data_dir)
            try:
                admin_token = server.add_user(ADMIN, admin=True)
                member_token = server.add_user(MEMBER, admin=False)
                server.start()
                log(f"server pid {server.pid} on 127.0.0.1:{server.port}")
                admin = Client(server.port, admin_token)
                self.seed(server, admin, admin_token)
                admin.close()

                # Start-up on the seeded registry, then idle memory after a few requests.
                self.startup(server)
                log(f"server pid {server.pid} on 127.0.0.1:{server.port}")
                self.operations(server, admin_token, member_token)
                self.check(server.alive(), "server still running at the end", fatal=True)
            except (CheckFailed, OSError, http.client.HTTPException) as e:
                log(server.log_tail())
                if isinstance(e, CheckFailed):
                    raise
                raise CheckFailed(f"{type(e).__name__}: {e}") from e
            finally:
                server.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def operations(self, server: Server, admin_token: str, member_token: str) -> None:
        args = self.args
        anon = Client(server.port)
        admin = Client(server.port, admin_token)
        member = Client(server.port, member_token)
        # A browser session of the member, signed in as the sign-in form does.
        status, _body, resp = anon.request(
            "POST", "/fn/login",
            urllib.parse.urlencode({"username": MEMBER, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Origin": f"http://127.0.0.1:{server.port}"})
        cookie = ""
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie" and value.startswith("modelyard_session="):
                cookie = value.split(";", 1)[0]
        self.check(status in (200, 302, 303) and bool(cookie), "signing in sets a session cookie",
                   f"status {status}", fatal=True)
        browser = Client(server.port, cookie=cookie)

        # Idle memory: after start-up and a few requests of each kind.
        for c, path in ((anon, "/healthz"), (admin, api("models") + "?limit=100"),
                        (admin, api("models", self.model)),
                        (admin, api("models", BIG_MODEL, "versions") + "?limit=50"),
                        (browser, f"/models/{self.model}"),
                        (browser, f"/models/{self.model}/versions/{self.version}")):
            for _ in range(3):
                c.request("GET", path)
        time.sleep(1.0)
        rss = rss_mib(server.pid)
        self.results["idle_memory"] = {
            "rss_mib": rss,
            "target_mib": IDLE_RSS_TARGET_MIB,
            "pass": rss <= IDLE_RSS_TARGET_MIB,
        }
        log(f"idle RSS {rss:.1f} MiB")

        models_total = args.models

        def list_check(expect_total: int | None):
            def check(body: bytes) -> None:
                page = json.loads(body)
                n = len(page.get("data") or [])
                self.check(n == min(100, page.get("total_count", 0)),
                           "models list: a full page", f"{n} models")
                if expect_total is not None:
                    self.check(page.get("total_count") == expect_total,
                               f"models list: total_count == {expect_total}",
                               f"got {page.get('total_count')!r}")
            return check

        def versions_check(body: bytes) -> None:
            page = json.loads(body)
            self.check(page.get("total_count") == args.versions and
                       len(page.get("data") or []) == 50,
                       "versions list: 50 of all versions",
                       f"total {page.get('total_count')!r}, {len(page.get('data') or [])}")

        def html_check(name: str):
            def check(body: bytes) -> None:
                self.check(b"<html" in body[:2000].lower() and name.encode() in body,
                           f"page of {name}: HTML naming the model", f"{len(body)} bytes")
            return check

        log("measuring server CPU per request")
        big = f"{args.versions:,} versions"
        ref = self.measure(server, anon, "healthz", "GET /healthz (reference)", "/healthz",
                           5000, None)
        self.measure(server, admin, "list_models", "GET /models?limit=100 (admin)",
                     api("models") + "?limit=100", 500, 0.5, list_check(models_total))
        self.measure(server, member, "list_models_member", "GET /models?limit=100 (member)",
                     api("models") + "?limit=100", 500, 0.5, list_check(None))
        self.measure(server, admin, "get_model", "GET /models/{name}",
                     api("models", self.model), 3000, 0.1)
        self.measure(server, admin, "list_versions", f"GET /models/{{m}}/versions?limit=50 ({big})",
                     api("models", BIG_MODEL, "versions") + "?limit=50", 1000, 0.3,
                     versions_check)
        self.measure(server, browser, "model_page", "model page (HTML, session)",
                     f"/models/{self.model}", 300, 2.0, html_check(self.model))
        self.measure(server, browser, "version_page", "version page (HTML, session)",
                     f"/models/{self.model}/versions/{self.version}", 300, 2.0,
                     html_check(self.model))
        # The same on the model with many versions: shown, without a target.
        self.measure(server, admin, "get_model_big", f"GET /models/{{name}} ({big})",
                     api("models", BIG_MODEL), 1000, None)
        self.measure(server, browser, "model_page_big", f"model page ({big})",
                     f"/models/{BIG_MODEL}", 100, None, html_check(BIG_MODEL))
        self.measure(server, browser, "version_page_big", f"version page ({big})",
                     f"/models/{BIG_MODEL}/versions/{self.big_version}", 100, None,
                     html_check(BIG_MODEL))
        for c in (anon, admin, member, browser):
            c.close()
        healthz = ref["server_cpu_ms_per_request"]
        for row in self.results["operations"]:
            row["ratio_to_healthz"] = (row["server_cpu_ms_per_request"] / healthz
                                       if healthz > 0 else None)
        self.results["reference"] = {"healthz_cpu_ms_per_request": healthz}


# --------------------------------------------------------------------------------------------
# Output


def fmt(value, spec: str = ".3f") -> str:
    return "-" if value is None else f"{value:{spec}}"


def print_table(r: dict) -> None:
    out = [f"Modelyard server CPU benchmark  {r['started_at']}",
           f"  binary {r['binary']}",
           f"  {r['models']} models, one with {r['versions']} versions; "
           f"CPU = utime+stime of the server process (tick {1000 / r['clk_tck']:.0f} ms)"]
    seed = r.get("seed")
    if seed:
        out.append(f"  seeded {seed.get('models_per_s') or 0:.0f} models/s, "
                   f"{seed.get('versions_per_s') or 0:.0f} versions/s "
                   f"({seed['models_seconds'] + seed['versions_seconds']:.1f} s)")
    ops = r.get("operations") or []
    if ops:
        out.append("")
        out.append(f"{'operation':<52}{'requests':>9}{'CPU ms/req':>11}{'target':>8}"
                   f"{'':>6}{'x healthz':>10}{'client json ms':>15}{'bytes':>9}")
        for o in ops:
            verdict = "" if o["pass"] is None else ("PASS" if o["pass"] else "FAIL")
            target = "-" if o["target_ms"] is None else f"{o['target_ms']:g}"
            out.append(f"{o['operation']:<52}{o['requests']:>9}"
                       f"{fmt(o['server_cpu_ms_per_request']):>11}{target:>8}{verdict:>6}"
                       f"{fmt(o.get('ratio_to_healthz'), '.1f'):>10}"
                       f"{fmt(o['client_json_roundtrip_ms']):>15}{o['body_bytes']:>9}")
        out.append("  client json ms: Python json.loads + json.dumps of the same body, "
                   "in this client (reference)")
    st = r.get("startup")
    if st:
        out.append("")
        out.append(f"{'start-up to first 200 of /healthz (median of ' + str(len(st['runs_ms'])) + ')':<50}"
                   f"{st['median_ms']:>8.0f} ms   target {st['target_ms']:.0f}   "
                   f"{'PASS' if st['pass'] else 'FAIL'}   "
                   f"(runs {', '.join(f'{x:.0f}' for x in st['runs_ms'])})")
    mem = r.get("idle_memory")
    if mem:
        out.append(f"{'idle RSS after a few requests':<50}{mem['rss_mib']:>8.1f} MiB  "
                   f"target {mem['target_mib']:.0f}    {'PASS' if mem['pass'] else 'FAIL'}")
    checks = r.get("checks", [])
    failed = [c for c in checks if not c["ok"]]
    out.append("")
    if r.get("error"):
        out.append(f"FAILED: {r['error']}")
    if failed:
        out.append(f"Checks: {len(failed)} of {len(checks)} FAILED")
        for c in failed:
            out.append(f"  FAIL {c['name']}: {c['detail']}")
    elif not r.get("error"):
        out.append(f"Checks: all {len(checks)} passed")
    print("\n".join(out), flush=True)


def targets_met(r: dict) -> bool:
    verdicts = [o["pass"] for o in r.get("operations", []) if o["pass"] is not None]
    verdicts += [r[k]["pass"] for k in ("startup", "idle_memory") if k in r]
    return all(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Server CPU per request, start-up time and idle memory of Modelyard.")
    parser.add_argument("--models", type=int, default=1000,
                        help="models in the registry, the one with many versions included "
                             "(default 1000)")
    parser.add_argument("--versions", type=int, default=10000,
                        help="versions of the model with many versions (default 10000)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the number of measured requests (default 1)")
    parser.add_argument("--bin", default=None,
                        help="the modelyard binary (default: $CARGO_TARGET_DIR/release/modelyard "
                             "if it exists, else .../debug/modelyard)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--perf", metavar="DIR",
                        help="record a perf profile of the server per operation into DIR "
                             "(perf from Debian's linux-perf; the figures then include its cost)")
    args = parser.parse_args()
    if args.models < 101:
        parser.error("--models must be at least 101 (a full page of 100 is listed)")
    if args.versions < 50:
        parser.error("--versions must be at least 50")
    if args.scale <= 0:
        parser.error("--scale must be positive")

    binary = harness.chosen_binary(args.bin)
    if binary is None:
        return 2
    bench = Bench(args, binary)
    started = time.perf_counter()
    code, error = harness.run_guarded(bench.run)
    if error is not None:
        bench.results["error"] = error
    r = bench.results
    r["seconds"] = time.perf_counter() - started
    if code == 0 and any(not c["ok"] for c in r["checks"]):
        code = 1
    r["targets_met"] = targets_met(r)
    if code == 0 and args.strict and not r["targets_met"]:
        code = 1
    r["ok"] = code == 0
    print_table(r)
    print(f"({r['seconds']:.0f} s in all)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(r, f, indent=2, sort_keys=True)
            f.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
