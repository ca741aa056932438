#!/usr/bin/env python3
"""Modelyard against the MLflow tracking server on one machine: seeding rate, requests/s and
latency of three read operations at two concurrencies, and each server's memory.

Both servers run on 127.0.0.1 with SQLite and a throwaway directory, one after the other so they
never compete for the cores. Requests come from `modelyard-loadgen` (bench/loadgen), which checks
every answer's status and JSON body; its own ceiling, and a Python client's, are measured on a
trivial endpoint in the same run. Then, when PostgreSQL is installed (--postgres), the same
reads against Modelyard on a throw-away PostgreSQL cluster: one instance, then two instances on
the same database with the load generator's connections alternating between them. See
bench/README.md.

Python 3.9+ standard library only; run it through bench/mlflow/run.sh, which sets up MLflow and
builds the load generator.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# The helpers the benchmarks share live one folder up.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import die_with_parent, free_port, log  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_SERVER = os.path.join(REPO_ROOT, "scripts", "pg-server.sh")
PG_DATABASE = "modelyard_bench"

PASSWORD = "password123"
USER = "bench"
TOKEN_NAME = "bench-token"
STOP_TIMEOUT = 20.0  # seconds between SIGTERM and SIGKILL
CLI_TIMEOUT = 60.0
# The targets, per read operation at TARGET_CONCURRENCY connections: Modelyard's requests/s at
# least TARGET_RATIO times MLflow's, and Modelyard's p99 below MLflow's p50.
TARGET_RATIO = 50.0
TARGET_CONCURRENCY = 32

OPERATIONS = ("list", "get", "versions")
OPERATION_TITLES = {
    "health": "trivial endpoint",
    "list": "list models",
    "get": "get one model",
    "versions": "list a model's versions",
}


class SetupError(Exception):
    """The benchmark could not run (no binary, a server did not start)."""


class CheckFailed(Exception):
    """A server answered wrongly where the rest depends on it (seeding)."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: handled like Ctrl-C, so every `finally` runs."""


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


# --------------------------------------------------------------------------------------------
# Processes: trees, memory, CPU

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after it do not.
        fields = stat[stat.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    children = children_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def process_memory(pid: int) -> dict[str, float] | None:
    """VmRSS, VmHWM (peak RSS) and Pss in MiB, or None when the process is gone."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024.0
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == "Pss":
                    out["Pss"] = int(value.split()[0]) / 1024.0
    except OSError:
        return None
    return out


def process_cpu(pid: int) -> float:
    """User plus system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idle and I/O wait since boot (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """User plus system CPU seconds of this script's finished children (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def loadavg() -> list[float]:
    with open("/proc/loadavg", encoding="ascii") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine() -> dict:
    info: dict = {"cores": os.cpu_count(), "kernel": platform.release(), "loadavg_start": loadavg()}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------------------------
# The servers under test


class Server:
    """A server process started in its own session, so its whole tree can be stopped."""

    name = "server"

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "server.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.headers: list[str] = []  # for the load generator, "Name: value"

    # -- to fill in
    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    health_path = "/healthz"
    startup_timeout = 60.0
    # How the load generator connects for the read runs: "keep-alive" and/or "fresh".
    connection_modes: tuple[str, ...] = ("keep-alive",)

    def group_of(self, pid: int) -> str:
        """Which part of the server a process belongs to, for the memory breakdown."""
        return "server"

    # -- lifecycle
    def start(self) -> float:
        """Starts the server and waits until it answers; returns the seconds that took."""
        for _attempt in range(3):
            self.port = free_port()
            log_file = open(self.log_path, "ab")
            started = time.monotonic()
            try:
                self.proc = subprocess.Popen(
                    self.command(),
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=self.environment(),
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
            except OSError as e:
                raise SetupError(f"cannot start {self.name}: {e}") from e
            finally:
                log_file.close()
            if self.wait_healthy():
                return time.monotonic() - started
            # Most likely the port was taken between choosing and binding: try another one.
            self.stop()
        raise SetupError(f"{self.name} did not answer GET {self.health_path} with 200\n"
                         + self.log_tail())

    def wait_healthy(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.health_path)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> float | None:
        """SIGTERM to the whole session, then SIGKILL to whatever is left after STOP_TIMEOUT.
        Answers the seconds until every process had ended, or None when SIGKILL was needed."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        started = time.monotonic()
        tree = process_tree(proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = started + STOP_TIMEOUT
        stopped = None
        while time.monotonic() < deadline:
            proc.poll()
            if not any(os.path.exists(f"/proc/{pid}") and process_memory(pid) for pid in tree):
                stopped = time.monotonic() - started
                break
            time.sleep(0.1)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in tree:
            # Only processes still in the server's group: a finished one's id may be reused.
            try:
                if os.getpgid(pid) == proc.pid:
                    os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        return stopped

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise SetupError(f"{self.name} is not running")
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bases(self) -> list[str]:
        """Where the load generator sends requests (several for a group of instances)."""
        return [self.base()]

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                tail = f.readlines()[-lines:]
        except OSError:
            return "(no server log)"
        return "server log (last lines):\n" + "".join("  " + line for line in tail)

    # -- measurements of the whole process tree
    def memory(self) -> dict:
        groups: dict[str, dict[str, float]] = {}
        total = {"rss_mib": 0.0, "peak_rss_mib": 0.0, "pss_mib": 0.0, "processes": 0}
        for pid in process_tree(self.pid):
            mem = process_memory(pid)
            if mem is None:
                continue
            group = groups.setdefault(self.group_of(pid), {"rss_mib": 0.0, "peak_rss_mib": 0.0,
                                                           "pss_mib": 0.0, "processes": 0})
            for bucket in (total, group):
                bucket["rss_mib"] += mem.get("VmRSS", 0.0)
                bucket["peak_rss_mib"] += mem.get("VmHWM", 0.0)
                bucket["pss_mib"] += mem.get("Pss", 0.0)
                bucket["processes"] += 1
        total["groups"] = groups
        return total

    def cpu_seconds(self) -> float:
        return sum(process_cpu(pid) for pid in process_tree(self.pid))

    def cpu_by_group(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid in process_tree(self.pid):
            group = self.group_of(pid)
            out[group] = out.get(group, 0.0) + process_cpu(pid)
        return out

    def idle_cpu(self, seconds: float) -> dict[str, float]:
        """Cores busy per part of the server while nobody sends requests."""
        before = self.cpu_by_group()
        time.sleep(seconds)
        after = self.cpu_by_group()
        return {group: (after[group] - before.get(group, 0.0)) / seconds for group in after}


class Modelyard(Server):
    name = "Modelyard"
    health_path = "/healthz"

    def __init__(self, workdir: str, binary: str, store: dict[str, str] | None = None,
                 name: str = "Modelyard") -> None:
        """`store`: DATABASE_URL and STORAGE_URL when the records and files are not to live in
        the data directory (SQLite and blobs/ there, otherwise)."""
        super().__init__(workdir)
        self.binary = binary
        self.data_dir = os.path.join(workdir, "data")
        self.store = dict(store or {})
        self.name = name
        # The PostgreSQL cluster behind it, whose CPU use is measured beside the server's.
        self.database: PostgresCluster | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Only what this benchmark chose: not a database or storage set in the caller's shell.
        for key in ("DATABASE_URL", "STORAGE_URL"):
            env.pop(key, None)
        env.update(self.store)
        return env

    def cli(self, args: list[str], stdin: str = "") -> str:
        result = subprocess.run([self.binary, *args, "--data-dir", self.data_dir], input=stdin,
                                capture_output=True, text=True, timeout=CLI_TIMEOUT,
                                env=self.environment())
        if result.returncode != 0:
            raise SetupError(f"`modelyard {' '.join(args)}` exited with {result.returncode}: "
                             f"{result.stderr.strip()[-2000:]}")
        return result.stdout

    def create_identity(self) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self.cli(["user", "add", USER, "--admin"], stdin=PASSWORD + "\n")
        token = self.cli(["token", "add", TOKEN_NAME, "--user", USER]).strip()
        if not token or len(token.split()) != 1:
            raise SetupError(f"`modelyard token add` printed {token!r}, expected one token")
        self.headers = [f"Authorization: Bearer {token}"]

    def command(self) -> list[str]:
        return [self.binary, "serve", "--addr", f"127.0.0.1:{self.port}", "--data-dir",
                self.data_dir]

    def version(self) -> str:
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                 timeout=CLI_TIMEOUT)
            return out.stdout.strip() or out.stderr.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"


class Instances:
    """Several Modelyard instances on one database, measured as one server: the load generator
    spreads its connections over them in turn, and CPU is summed over all of them."""

    def __init__(self, servers: list[Modelyard]) -> None:
        self.servers = servers
        self.name = " + ".join(s.name for s in servers)
        self.headers = servers[0].headers
        self.database = servers[0].database

    def bases(self) -> list[str]:
        return [s.base() for s in self.servers]

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def alive(self) -> bool:
        return all(s.alive() for s in self.servers)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(f"{s.name}: {s.log_tail(lines)}" for s in self.servers)


def postgres_installed() -> bool:
    """What scripts/pg-server.sh needs: Debian's PostgreSQL server binaries."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")) and os.access(PG_SERVER, os.X_OK)


class PostgresCluster:
    """A throw-away PostgreSQL cluster on a free loopback port (scripts/pg-server.sh: trust
    authentication, fsync off), in a directory of its own that `stop` removes."""

    def __init__(self) -> None:
        self.dir: str | None = None
        self.url = ""

    def start(self) -> float:
        # Not inside the benchmark's working directory: when this runs as root the cluster runs
        # as the `postgres` user, who must reach its directory.
        self.dir = tempfile.mkdtemp(prefix="modelyard-bench-pg-")
        started = time.monotonic()
        try:
            result = subprocess.run([PG_SERVER, "start", self.dir], capture_output=True,
                                    text=True, timeout=180)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SetupError(f"scripts/pg-server.sh start: {e}") from e
        if result.returncode != 0:
            raise SetupError(f"scripts/pg-server.sh start exited with {result.returncode}: "
                             f"{result.stderr.strip()[-2000:]}")
        base = ""
        for line in result.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            if key == "MODELYARD_TEST_POSTGRES_URL":
                base = value.strip().strip("'\"")
        if not base.startswith("postgres://"):
            raise SetupError(f"scripts/pg-server.sh start printed no PostgreSQL URL: "
                             f"{result.stdout.strip()[-500:]!r}")
        # A database of the benchmark's own; Modelyard creates it when it first connects.
        self.url = base.rstrip("/") + "/" + PG_DATABASE
        return time.monotonic() - started

    def cpu_seconds(self) -> float:
        """CPU seconds of the cluster's processes so far (the postmaster and its backends)."""
        if self.dir is None:
            return 0.0
        try:
            with open(os.path.join(self.dir, "data", "postmaster.pid"), encoding="ascii") as f:
                postmaster = int(f.readline().strip())
        except (OSError, ValueError):
            return 0.0
        return sum(process_cpu(pid) for pid in process_tree(postmaster))

    def version(self) -> str:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not binaries:
            return "unknown"
        try:
            out = subprocess.run([binaries[-1], "--version"], capture_output=True, text=True,
                                 timeout=CLI_TIMEOUT)
            return out.stdout.strip() or "unknown"
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"

    def stop(self) -> None:
        directory, self.dir = self.dir, None
        if directory is None:
            return
        try:
            subprocess.run([PG_SERVER, "stop", directory], capture_output=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            log(f"stopping PostgreSQL in {directory}: {e}")
        shutil.rmtree(directory, ignore_errors=True)


class MLflow(Server):
    name = "MLflow"
    health_path = "/health"
    startup_timeout = 300.0  # it imports a lot, four times over; 40 s on a busy 2-core VM

    def __init__(self, workdir: str, executable: str, connection_modes: tuple[str, ...]) -> None:
        super().__init__(workdir)
        self.executable = executable
        self.job_runner_pids: set[int] = set()
        self.connection_modes = connection_modes

    def command(self) -> list[str]:
        db = os.path.join(self.workdir, "mlflow.db")
        return [self.executable, "server", "--backend-store-uri", f"sqlite:///{db}",
                "--host", "127.0.0.1", "--port", str(self.port)]

    def group_of(self, pid: int) -> str:
        # The job runner (`mlflow.server.jobs._job_runner`) and its huey consumers run beside
        # the web server by default; they are shown apart from the web server in the breakdown.
        # process_tree lists parents before their children, so a child of the runner (whose
        # command line may not say so) is recognised by its parent.
        if pid in self.job_runner_pids or "mlflow.server.jobs" in cmdline(pid):
            self.job_runner_pids.add(pid)
            return "job runner"
        parent = parent_pid(pid)
        if parent in self.job_runner_pids:
            self.job_runner_pids.add(pid)
            return "job runner"
        return "web server"

    def memory(self) -> dict:
        self.job_runner_pids = set()
        return super().memory()

    def cpu_by_group(self) -> dict[str, float]:
        self.job_runner_pids = set()
        return super().cpu_by_group()

    def version(self) -> str:
        try:
            out = subprocess.run([self.executable, "--version"], capture_output=True, text=True,
                                 timeout=120)
            return out.stdout.strip().split()[-1] if out.stdout.strip() else "unknown"
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"


def parent_pid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return 0
    return int(stat[stat.rfind(")") + 2:].split()[1])


# --------------------------------------------------------------------------------------------
# What each server is asked


def model_name(i: int) -> str:
    return f"bench-model-{i:04d}"


def write_jsonl(path: str, jobs: list[dict]) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for job in jobs:
            f.write(json.dumps(job, separators=(",", ":")) + "\n")
    return path


def modelyard_jobs(models: int, versions: int, page: int) -> dict[str, list[dict]]:
    """The minimal valid requests: a model is `{"name"}`; a version is `{}` (a draft with no
    files, numbered 0.1.0, 0.2.0, ... by the default minor bump)."""
    seed, get, list_versions = [], [], []
    for i in range(1, models + 1):
        name = model_name(i)
        path = "/api/v1/models/" + urllib.parse.quote(name, safe="")
        steps = [{"method": "POST", "path": "/api/v1/models", "body": {"name": name},
                  "status": 201, "checks": [{"pointer": "/name", "equals": name}]}]
        for v in range(1, versions + 1):
            steps.append({"method": "POST", "path": path + "/versions", "body": {}, "status": 201,
                          "checks": [{"pointer": "/version", "equals": f"0.{v}.0"}]})
        seed.append({"steps": steps})
        get.append({"path": path, "checks": [{"pointer": "/name", "equals": name},
                                             {"pointer": "/version_count", "equals": versions}]})
        list_versions.append({"path": path + "/versions",
                              "checks": [{"pointer": "/data", "len": min(versions, 50)},
                                         {"pointer": "/total_count", "equals": versions}]})
    listing = [{"path": f"/api/v1/models?limit={page}",
                "checks": [{"pointer": "/data", "len": min(page, models)},
                           {"pointer": "/total_count", "equals": models}]}]
    return {"seed": seed, "list": listing, "get": get, "versions": list_versions,
            "health": [{"path": "/healthz"}]}


def mlflow_jobs(models: int, versions: int, page: int) -> dict[str, list[dict]]:
    """A registered model is `{"name"}`; a model version needs `name` and `source` (any URI
    that is not a local path; nothing is fetched from it)."""
    api = "/api/2.0/mlflow"
    seed, get, list_versions = [], [], []
    for i in range(1, models + 1):
        name = model_name(i)
        steps = [{"method": "POST", "path": f"{api}/registered-models/create",
                  "body": {"name": name}, "status": 200,
                  "checks": [{"pointer": "/registered_model/name", "equals": name}]}]
        for v in range(1, versions + 1):
            steps.append({"method": "POST", "path": f"{api}/model-versions/create",
                          "body": {"name": name, "source": f"s3://bench-artifacts/{name}/{v}"},
                          "status": 200,
                          "checks": [{"pointer": "/model_version/version", "equals": str(v)}]})
        seed.append({"steps": steps})
        query = urllib.parse.urlencode({"name": name})
        get.append({"path": f"{api}/registered-models/get?{query}",
                    "checks": [{"pointer": "/registered_model/name", "equals": name},
                               {"pointer": "/registered_model/latest_versions/0/version",
                                "equals": str(versions)}]})
        search = urllib.parse.urlencode({"filter": f"name='{name}'"})
        list_versions.append({"path": f"{api}/model-versions/search?{search}",
                              "checks": [{"pointer": "/model_versions", "len": versions}]})
    listing = [{"path": f"{api}/registered-models/search?max_results={page}",
                "checks": [{"pointer": "/registered_models", "len": min(page, models)}]}]
    return {"seed": seed, "list": listing, "get": get, "versions": list_versions,
            "health": [{"path": "/health"}]}


# --------------------------------------------------------------------------------------------
# Running the load generator


class Loadgen:
    def __init__(self, binary: str, threads: int) -> None:
        self.binary = binary
        self.threads = threads

    def run(self, server: Server | Instances, requests_file: str, concurrency: int, count: int,
            time_cap: float, warmup: int = 0, order: str = "random",
            mode: str = "keep-alive") -> dict:
        command = [self.binary, "--requests", requests_file,
                   "--concurrency", str(concurrency), "--count", str(count),
                   "--time-cap", str(time_cap), "--warmup", str(warmup), "--order", order,
                   "--threads", str(self.threads)]
        for base in server.bases():
            command += ["--base", base]
        if mode == "fresh":
            command.append("--fresh-connections")
        for header in server.headers:
            command += ["--header", header]
        database = getattr(server, "database", None)
        db_before = database.cpu_seconds() if database else 0.0
        cpu_before = server.cpu_seconds()
        busy_before = machine_busy_seconds()
        children_before = children_cpu_seconds()
        started = time.monotonic()
        # Generous: the time cap, the warmup's tenth of it, and in-flight requests finishing.
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=time_cap * 1.2 + 120)
        wall = time.monotonic() - started
        server_cpu = server.cpu_seconds() - cpu_before
        db_cpu = database.cpu_seconds() - db_before if database else 0.0
        busy = machine_busy_seconds() - busy_before
        client_cpu = children_cpu_seconds() - children_before
        if result.returncode != 0:
            raise SetupError(f"modelyard-loadgen exited with {result.returncode}: "
                             f"{result.stderr.strip()[-2000:]}")
        report = json.loads(result.stdout)
        seconds = report["seconds"] or 1e-9
        report["server_cpu_s"] = server_cpu
        # CPU use over the whole call (warmup included), in cores: 2.0 = both cores of 2 busy.
        # "other" is everything else on the machine: what neither measured process got.
        wall = max(wall, 1e-9)
        report["server_cores"] = server_cpu / wall
        report["client_cores"] = client_cpu / wall
        report["other_cores"] = max(0.0, busy - server_cpu - client_cpu - db_cpu) / wall
        if database:
            report["database_cores"] = db_cpu / wall
        report["client_cores_measured_phase"] = report["client_cpu_s"] / seconds
        if not server.alive():
            raise SetupError(f"{server.name} exited during the run\n" + server.log_tail())
        return report


def python_client_ceiling(port: int, path: str, concurrency: int, seconds: float) -> dict:
    """requests/s of a plain Python client (http.client, one keep-alive connection per thread)
    on a trivial endpoint: what the load generator would reach if it were written in Python."""
    stop = threading.Event()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors[0] += 1
                mine.append(time.perf_counter() - t0)
        except (OSError, http.client.HTTPException):
            errors[0] += 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return latencies[max(0, math.ceil(p / 100 * len(latencies)) - 1)] * 1000

    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors[0],
            "seconds": wall, "rps": len(latencies) / wall,
            "latency_ms": {"p50": pct(50), "p99": pct(99)}}


# --------------------------------------------------------------------------------------------
# The benchmark


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loadgen = Loadgen(args.loadgen, args.client_threads)
        self.results: dict = {
            "settings": {
                "models": args.models, "versions_per_model": args.versions, "page": args.page,
                "seed_concurrency": args.seed_concurrency, "concurrency": args.concurrency,
                "count": args.count, "time_cap_s": args.time_cap, "warmup": args.warmup,
                "client_threads": args.client_threads,
                "mlflow_connections": args.mlflow_connections, "postgres": args.postgres,
            },
            "machine": machine(),
            "targets": {"concurrency": TARGET_CONCURRENCY, "min_throughput_ratio": TARGET_RATIO,
                        "modelyard_p99_below_mlflow_p50": True},
            "servers": {},
            "client_ceiling": {},
            "comparison": [],
            "problems": [],
        }
        self.failed = False

    def problem(self, text: str) -> None:
        log("PROBLEM: " + text)
        self.results["problems"].append(text)
        self.failed = True

    def run_server(self, server: Server, jobs: dict[str, list[dict]], workdir: str,
                   ceilings: bool) -> None:
        args = self.args
        out: dict = {"operations": {}}
        self.results["servers"][server.name] = out
        files = {kind: write_jsonl(os.path.join(workdir, f"{kind}.jsonl"), js)
                 for kind, js in jobs.items()}
        log(f"{server.name}: starting")
        out["version"] = server.version()
        out["startup_s"] = server.start()
        log(f"{server.name}: answering on {server.base()} after {out['startup_s']:.1f} s")
        out["memory_idle"] = server.memory()

        if ceilings:
            self.client_ceilings(server, files["health"])

        out["seed"] = self.seed(server, files["seed"])
        out["memory_after_seed"] = server.memory()
        out["idle_cores_after_seed"] = server.idle_cpu(args.idle_seconds)

        self.read_runs(server, files, out["operations"], args.concurrency,
                       server.connection_modes)
        out["memory_after_load"] = server.memory()
        log(f"{server.name}: stopping")
        out["stop_s"] = server.stop()
        log(f"{server.name}: " + (f"stopped {out['stop_s']:.1f} s after SIGTERM"
                                   if out["stop_s"] is not None else
                                   f"still running {STOP_TIMEOUT:g} s after SIGTERM; killed"))

    def seed(self, server: Server, seed_file: str) -> dict:
        """Creates the models and their versions through the server's REST API; raises
        CheckFailed unless every one of them was created."""
        args = self.args
        total_versions = args.models * args.versions
        log(f"{server.name}: seeding {args.models} models x {args.versions} versions over "
            f"{args.seed_concurrency} connections")
        seed = self.loadgen.run(server, seed_file, args.seed_concurrency, args.models,
                                args.seed_time_cap, order="once")
        seed["versions_per_s"] = (total_versions * seed["jobs_done"] / args.models
                                  / seed["seconds"]) if seed["seconds"] else None
        log(f"{server.name}: seeded {seed['jobs_done']}/{args.models} models in "
            f"{seed['seconds']:.1f} s ({seed['versions_per_s']:.0f} versions/s, "
            f"{seed['rps']:.0f} requests/s, {seed['errors']} errors)")
        if seed["errors"] or seed["jobs_done"] != args.models:
            samples = "; ".join(seed["error_samples"])
            raise CheckFailed(f"{server.name}: seeding failed ({seed['errors']} errors, "
                              f"{seed['jobs_done']}/{args.models} models"
                              f"{', time cap reached' if seed['time_capped'] else ''}): {samples}")
        return seed

    def read_runs(self, server: Server | Instances, files: dict[str, str], out: dict,
                  concurrencies: list[int], modes: tuple[str, ...] = ("keep-alive",),
                  operations: tuple[str, ...] = ("health",) + OPERATIONS) -> None:
        """Every read operation at every concurrency and connection mode, into
        out[operation][mode][concurrency]; errors are recorded as problems."""
        args = self.args
        for operation in operations:
            for concurrency in concurrencies:
                for mode in modes:
                    report = self.loadgen.run(server, files[operation], concurrency, args.count,
                                              args.time_cap, warmup=args.warmup, mode=mode)
                    out.setdefault(operation, {}).setdefault(mode, {})[str(concurrency)] = report
                    lat = report["latency_ms"]
                    log(f"{server.name}: {operation:8} c={concurrency:<3} {mode:10} "
                        f"{report['rps']:9.1f} req/s  p50 {fmt_ms(lat['p50'])}  "
                        f"p99 {fmt_ms(lat['p99'])} ms  ({report['ok']} ok, "
                        f"{report['errors']} errors"
                        f"{', time cap' if report['time_capped'] else ''}; server "
                        f"{report['server_cores']:.2f} cores, client "
                        f"{report['client_cores']:.2f})")
                    if report["errors"]:
                        self.problem(f"{server.name} {operation} at concurrency {concurrency} "
                                     f"({mode}): {report['errors']} errors, e.g. "
                                     + "; ".join(report["error_samples"][:2]))

    def run_postgres(self, binary: str, workdir: str, servers: list, cluster: PostgresCluster,
                     jobs: dict[str, list[dict]]) -> None:
        """Modelyard on PostgreSQL: seeded through one instance, the reads against that one,
        then against it and a second instance on the same database and the same blob directory
        (the load generator's connections alternating between the two)."""
        args = self.args
        out: dict = {"operations": {"1": {}, "2": {}}}
        self.results["postgres"] = out
        files = {kind: write_jsonl(os.path.join(workdir, f"{kind}.jsonl"), js)
                 for kind, js in jobs.items()}
        log("PostgreSQL: starting a throw-away cluster (scripts/pg-server.sh, fsync off)")
        out["cluster_start_s"] = cluster.start()
        out["postgres_version"] = cluster.version()
        blobs = os.path.join(workdir, "blobs")
        os.makedirs(blobs)
        store = {"DATABASE_URL": cluster.url, "STORAGE_URL": "file://" + blobs}
        instances = []
        for n in (1, 2):
            directory = os.path.join(workdir, f"instance-{n}")
            os.makedirs(directory)
            instances.append(Modelyard(directory, binary, store, name=f"Modelyard PG #{n}"))
            instances[-1].database = cluster
        first, second = instances
        # The user and the token live in the shared database: the token works on both.
        first.create_identity()
        second.headers = first.headers

        servers.append(first)
        out["startup_s"] = first.start()
        log(f"{first.name}: answering on {first.base()} after {out['startup_s']:.1f} s")
        out["seed"] = self.seed(first, files["seed"])
        log("PostgreSQL, one instance: the reads")
        self.read_runs(first, files, out["operations"]["1"], args.concurrency,
                       operations=OPERATIONS)

        servers.append(second)
        out["startup_s_second"] = second.start()
        log(f"{second.name}: answering on {second.base()} after {out['startup_s_second']:.1f} s")
        both = Instances(instances)
        # One connection would only ever reach the first instance.
        spread = [c for c in args.concurrency if c >= 2]
        if len(spread) < len(args.concurrency):
            log("PostgreSQL, two instances: concurrency 1 left out (one connection reaches "
                "one instance)")
        log("PostgreSQL, two instances: the same reads, connections alternating")
        self.read_runs(both, files, out["operations"]["2"], spread, operations=OPERATIONS)
        for operation, by_mode in out["operations"]["2"].items():
            for concurrency, report in by_mode.get("keep-alive", {}).items():
                idle = [t["addr"] for t in report.get("targets", []) if t["ok"] == 0]
                if idle:
                    self.problem(f"PostgreSQL, two instances, {operation} at concurrency "
                                 f"{concurrency}: no successful answer from {', '.join(idle)}")
        out["memory_after_load"] = {s.name: s.memory() for s in instances}
        for server in instances:
            server.stop()
        out["scaling"] = []
        for operation in OPERATIONS:
            for concurrency in args.concurrency:
                one = out["operations"]["1"].get(operation, {}).get("keep-alive", {}).get(
                    str(concurrency))
                two = out["operations"]["2"].get(operation, {}).get("keep-alive", {}).get(
                    str(concurrency))
                out["scaling"].append({
                    "operation": operation, "concurrency": concurrency,
                    "one_instance": summary(one), "two_instances": summary(two),
                    "split": [t["ok"] for t in two.get("targets", [])] if two else None,
                    "ratio": ratio(two and two["rps"], one and one["rps"]),
                })

    def client_ceilings(self, server: Server, health_file: str) -> None:
        """The load generator and a Python client against the trivial endpoint, so the figures
        can be read against what the client side can do at all on this machine."""
        ceiling = self.results["client_ceiling"]
        ceiling["server"] = server.name
        ceiling["path"] = server.health_path
        for concurrency in self.args.concurrency:
            report = self.loadgen.run(server, health_file, concurrency, max(self.args.count, 50000),
                                      min(self.args.time_cap, 5.0), warmup=self.args.warmup)
            ceiling.setdefault("loadgen", {})[str(concurrency)] = report
            py = python_client_ceiling(server.port, server.health_path, concurrency,
                                       min(self.args.time_cap, 3.0))
            ceiling.setdefault("python", {})[str(concurrency)] = py
            log(f"client ceiling on {server.health_path}, c={concurrency}: modelyard-loadgen "
                f"{report['rps']:.0f} req/s (client {report['client_cores']:.2f} cores), Python "
                f"http.client {py['rps']:.0f} req/s")

    def compare(self) -> None:
        servers = self.results["servers"]
        my = servers.get("Modelyard", {}).get("operations", {})
        ml = servers.get("MLflow", {}).get("operations", {})
        self.results["comparison"] = []
        for operation in ("health",) + OPERATIONS:
            for concurrency in self.args.concurrency:
                a = best_mode(my.get(operation, {}), concurrency)
                b = best_mode(ml.get(operation, {}), concurrency)
                row: dict = {"operation": operation, "concurrency": concurrency,
                             "modelyard": summary(a), "mlflow": summary(b)}
                if a and b:
                    row["throughput_ratio"] = ratio(a["rps"], b["rps"])
                    row["p50_ratio"] = ratio(b["latency_ms"]["p50"], a["latency_ms"]["p50"])
                    row["p99_ratio"] = ratio(b["latency_ms"]["p99"], a["latency_ms"]["p99"])
                    if operation != "health" and concurrency == TARGET_CONCURRENCY:
                        row["target"] = target_verdict(a, b)
                        row["pass"] = row["target"]["pass"]
                self.results["comparison"].append(row)


def target_verdict(a: dict, b: dict) -> dict:
    """Both rules of the target for one operation, Modelyard's run `a` against MLflow's `b`; an
    error on either side fails it."""
    rps_ratio = ratio(a["rps"], b["rps"])
    a_p99, b_p50 = a["latency_ms"]["p99"], b["latency_ms"]["p50"]
    clean = not a["errors"] and not b["errors"]
    throughput = bool(clean and rps_ratio is not None and rps_ratio >= TARGET_RATIO)
    latency = bool(clean and a_p99 is not None and b_p50 is not None and a_p99 < b_p50)
    return {"concurrency": TARGET_CONCURRENCY, "min_throughput_ratio": TARGET_RATIO,
            "throughput_ratio": rps_ratio, "throughput_pass": throughput,
            "modelyard_p99_ms": a_p99, "mlflow_p50_ms": b_p50, "p99_below_mlflow_p50": latency,
            "pass": throughput and latency}


def best_mode(by_mode: dict, concurrency: int) -> dict | None:
    """Of the connection modes measured, the run with the most requests/s: each server is
    compared as its clients would best use it."""
    runs = [r[str(concurrency)] for r in by_mode.values() if str(concurrency) in r]
    if not runs:
        return None
    return max(runs, key=lambda r: r["rps"])


def summary(report: dict | None) -> dict | None:
    if report is None:
        return None
    return {"rps": report["rps"], "p50_ms": report["latency_ms"]["p50"],
            "p99_ms": report["latency_ms"]["p99"], "ok": report["ok"], "errors": report["errors"],
            "time_capped": report["time_capped"], "connections": report["connections"],
            "server_cores": report["server_cores"], "client_cores": report["client_cores"],
            "other_cores": report.get("other_cores"),
            "database_cores": report.get("database_cores")}


# --------------------------------------------------------------------------------------------
# Output


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_rps(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}x" if value < 100 else f"{value:.0f}x"


def table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def print_report(results: dict) -> None:
    s = results["settings"]
    m = results["machine"]
    servers = results["servers"]
    print()
    print(f"Modelyard vs MLflow: {s['models']} models x {s['versions_per_model']} versions, "
          f"page {s['page']}; {s['count']} requests or {s['time_cap_s']:g} s per run "
          f"(after {s['warmup']} warmup requests)")
    print(f"machine: {m.get('cpu', '?')}, {m['cores']} cores, {m.get('memory_gib', '?')} GiB, "
          f"load average at start {m['loadavg_start'][0]:.2f}, at end "
          f"{m.get('loadavg_end', [0])[0]:.2f}")
    for name, out in servers.items():
        print(f"{name}: {out.get('version', '?')}, up after {out.get('startup_s', 0):.1f} s")

    ceiling = results.get("client_ceiling") or {}
    if ceiling.get("loadgen"):
        print()
        print(f"Client ceiling on {ceiling['server']}'s {ceiling['path']} (requests/s):")
        rows = []
        for c, r in ceiling["loadgen"].items():
            py = ceiling.get("python", {}).get(c, {})
            rows.append([c, fmt_rps(r["rps"]), f"{r['client_cores']:.2f}",
                         fmt_ms(r["latency_ms"]["p99"]), fmt_rps(py.get("rps"))])
        print(table(["conc", "modelyard-loadgen", "its CPU (cores)", "p99 ms",
                     "Python http.client"], rows, {0, 1, 2, 3, 4}))

    print()
    print("Seeding (model + versions, one model per connection at a time):")
    rows = []
    for name, out in servers.items():
        seed = out.get("seed")
        if seed:
            rows.append([name, str(s["seed_concurrency"]), f"{seed['seconds']:.1f}",
                         fmt_rps(seed.get("versions_per_s")), fmt_rps(seed["rps"]),
                         fmt_ms(seed["latency_ms"]["p50"]), fmt_ms(seed["latency_ms"]["p99"]),
                         str(seed["errors"]), f"{seed['server_cores']:.2f}",
                         f"{seed['other_cores']:.2f}"])
    if len(rows) == 2:
        a, b = (servers[n]["seed"] for n in ("Modelyard", "MLflow"))
        rows.append(["Modelyard / MLflow", "", "", fmt_ratio(ratio(a["versions_per_s"],
                     b["versions_per_s"])), fmt_ratio(ratio(a["rps"], b["rps"])), "", "", "", "",
                     ""])
    print(table(["server", "conns", "seconds", "versions/s", "requests/s", "p50 ms", "p99 ms",
                 "errors", "server cores", "others"], rows, set(range(1, 10))))

    print()
    print("Reads (requests/s, latency in ms; x = Modelyard/MLflow for req/s, "
          "MLflow/Modelyard for latency):")
    rows = []
    for row in results["comparison"]:
        a, b = row["modelyard"], row["mlflow"]
        verdict = {True: "PASS", False: "FAIL"}.get(row.get("pass"), "")
        target = row.get("target") or {}
        rps_verdict = {True: "PASS", False: "FAIL"}.get(target.get("throughput_pass"), "")
        p99_verdict = {True: "PASS", False: "FAIL"}.get(target.get("p99_below_mlflow_p50"), "")
        rows.append([
            OPERATION_TITLES[row["operation"]], str(row["concurrency"]),
            fmt_rps(a and a["rps"]), fmt_ms(a and a["p50_ms"]), fmt_ms(a and a["p99_ms"]),
            fmt_rps(b and b["rps"]), fmt_ms(b and b["p50_ms"]), fmt_ms(b and b["p99_ms"]),
            (b and b["connections"]) or "-",
            fmt_ratio(row.get("throughput_ratio")), fmt_ratio(row.get("p50_ratio")),
            fmt_ratio(row.get("p99_ratio")), rps_verdict, p99_verdict, verdict,
        ])
    print(table(["operation", "conc", "MY req/s", "MY p50", "MY p99", "MLF req/s", "MLF p50",
                 "MLF p99", "MLF conns", "req/s x", "p50 x", "p99 x",
                 f">={TARGET_RATIO:g}x", "MY p99<MLF p50", "target"], rows,
                set(range(1, 8)) | {9, 10, 11}))
    if any("pass" in r for r in results["comparison"]):
        print(f"target, per read operation at concurrency {TARGET_CONCURRENCY}: Modelyard >= "
              f"{TARGET_RATIO:g}x MLflow's requests/s, and Modelyard's p99 below MLflow's p50 "
              "(concurrency 1 and the trivial endpoint are shown for reference).")
    elif (results["comparison"] and any(r["mlflow"] for r in results["comparison"])
          and TARGET_CONCURRENCY not in s["concurrency"]):
        print(f"no verdict: the target is about concurrency {TARGET_CONCURRENCY}, which "
              "--concurrency left out.")
        print("MLflow's figures are from the connection mode that gave it more requests/s "
              "(keep-alive, or a fresh connection per request); Modelyard's use keep-alive.")

    ml_ops = servers.get("MLflow", {}).get("operations", {})
    modes = sorted({mode for by_mode in ml_ops.values() for mode in by_mode})
    if len(modes) > 1:
        print()
        print("MLflow by connection mode (requests/s, p50/p99 ms):")
        rows = []
        for operation in ("health",) + OPERATIONS:
            for c in s["concurrency"]:
                cells = [OPERATION_TITLES[operation], str(c)]
                for mode in modes:
                    r = ml_ops.get(operation, {}).get(mode, {}).get(str(c))
                    cells += ([fmt_rps(r["rps"]), fmt_ms(r["latency_ms"]["p50"]),
                               fmt_ms(r["latency_ms"]["p99"])] if r else ["-", "-", "-"])
                rows.append(cells)
        header = ["operation", "conc"]
        for mode in modes:
            header += [f"{mode} req/s", "p50", "p99"]
        print(table(header, rows, set(range(1, len(header)))))

    print()
    print(f"CPU during the runs above (cores busy, of {m['cores']}): server / load generator / "
          "everything else on the machine")
    rows = []
    for row in results["comparison"]:
        cells = [OPERATION_TITLES[row["operation"]], str(row["concurrency"])]
        for key in ("modelyard", "mlflow"):
            r = row[key]
            cells.append(f"{r['server_cores']:.2f} / {r['client_cores']:.2f} / "
                         f"{r['other_cores']:.2f}" if r else "-")
        rows.append(cells)
    print(table(["operation", "conc", "Modelyard", "MLflow"], rows, {1, 2, 3}))
    for name, out in servers.items():
        idle = out.get("idle_cores_after_seed")
        if idle:
            parts = ", ".join(f"{g} {v:.2f}" for g, v in sorted(idle.items()))
            print(f"{name} with no requests, after seeding: {parts} cores")

    print()
    print("Memory, whole process tree (MiB; peak = sum of each process's peak RSS):")
    rows = []
    for name, out in servers.items():
        for label, key in (("idle", "memory_idle"), ("after seeding", "memory_after_seed"),
                           ("after the load", "memory_after_load")):
            mem = out.get(key)
            if not mem:
                continue
            rows.append([name, label, str(mem["processes"]), f"{mem['rss_mib']:.0f}",
                         f"{mem['peak_rss_mib']:.0f}", f"{mem['pss_mib']:.0f}"])
            if len(mem["groups"]) > 1:
                for group, g in sorted(mem["groups"].items()):
                    rows.append(["", f"  {group}", str(g["processes"]), f"{g['rss_mib']:.0f}",
                                 f"{g['peak_rss_mib']:.0f}", f"{g['pss_mib']:.0f}"])
    print(table(["server", "when", "procs", "RSS", "peak RSS", "PSS"], rows, {2, 3, 4, 5}))

    print_postgres(results)

    if results["problems"]:
        print()
        print("Problems:")
        for p in results["problems"]:
            print("  - " + p)
    print(f"\nwhole run: {results.get('elapsed_s', 0):.0f} s")


def cores(run: dict | None) -> str:
    if not run:
        return "-"
    return (f"{run['server_cores']:.2f} / {run.get('database_cores') or 0:.2f} / "
            f"{run['client_cores']:.2f} / {run['other_cores']:.2f}")


def print_postgres(results: dict) -> None:
    pg = results.get("postgres")
    if not pg:
        return
    print()
    if pg.get("skipped"):
        print(f"PostgreSQL variant: skipped ({pg['skipped']}).")
        return
    print(f"Modelyard on PostgreSQL ({pg.get('postgres_version', '?')}, the throw-away test "
          "cluster: fsync off), one database; two instances share it and one blob directory, "
          "the load generator's connections alternating between them:")
    seed = pg.get("seed")
    if seed:
        print(f"seeding through one instance, {results['settings']['seed_concurrency']} "
              f"connections: {seed['seconds']:.1f} s, {fmt_rps(seed.get('versions_per_s'))} "
              f"versions/s, p50 {fmt_ms(seed['latency_ms']['p50'])} ms, "
              f"p99 {fmt_ms(seed['latency_ms']['p99'])} ms")
    rows = []
    for row in pg.get("scaling", []):
        one, two = row["one_instance"], row["two_instances"]
        split = row.get("split")
        rows.append([
            OPERATION_TITLES[row["operation"]], str(row["concurrency"]),
            fmt_rps(one and one["rps"]), fmt_ms(one and one["p50_ms"]),
            fmt_ms(one and one["p99_ms"]),
            fmt_rps(two and two["rps"]), fmt_ms(two and two["p50_ms"]),
            fmt_ms(two and two["p99_ms"]),
            "/".join(str(n) for n in split) if split else "-",
            fmt_ratio(row.get("ratio")),
            cores(one), cores(two),
        ])
    if rows:
        print(table(["operation", "conc", "PGx1 req/s", "p50", "p99", "PGx2 req/s", "p50", "p99",
                     "answers per instance", "x2/x1", "cores x1", "cores x2"], rows,
                    set(range(1, 12))))
        print(f"x2/x1: requests/s of two instances over one. Both instances, PostgreSQL and the "
              f"load generator share the machine's {results['machine']['cores']} cores, so the "
              "ratio is bounded by the cores. cores: Modelyard / PostgreSQL / load generator / "
              "everything else, during the run.")
    memory = pg.get("memory_after_load") or {}
    if memory:
        print("memory after the reads: " + ", ".join(
            f"{name} {mem['rss_mib']:.0f} MiB RSS" for name, mem in memory.items()))


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--modelyard-bin", required=True, help="the modelyard binary (release build)")
    p.add_argument("--loadgen", required=True, help="the modelyard-loadgen binary")
    p.add_argument("--mlflow", default="", help="the `mlflow` executable; empty: Modelyard alone")
    p.add_argument("--models", type=int, default=1000, help="models seeded into each server")
    p.add_argument("--versions", type=int, default=10, help="versions per model")
    p.add_argument("--page", type=int, default=100, help="models per page when listing")
    p.add_argument("--seed-concurrency", type=int, default=4,
                   help="connections seeding at once (the same for both servers)")
    p.add_argument("--seed-time-cap", type=float, default=1800.0,
                   help="seconds seeding may take per server")
    p.add_argument("--concurrency", default="1,32",
                   help="comma-separated connection counts for the read runs")
    p.add_argument("--count", type=int, default=20000, help="requests per read run")
    p.add_argument("--time-cap", type=float, default=20.0, help="seconds per read run at most")
    p.add_argument("--warmup", type=int, default=200,
                   help="requests sent before each read run and not counted")
    p.add_argument("--mlflow-connections", choices=("both", "keep-alive", "fresh"),
                   default="both",
                   help="how the reads connect to MLflow: keep-alive connections, a fresh "
                        "connection per request, or both (the better one is compared)")
    p.add_argument("--idle-seconds", type=float, default=5.0,
                   help="seconds over which each server's CPU use with no requests is measured")
    p.add_argument("--client-threads", type=int, default=1,
                   help="threads of the load generator's runtime")
    p.add_argument("--postgres", choices=("auto", "on", "off"), default="auto",
                   help="after the SQLite runs, the reads against Modelyard on PostgreSQL, one "
                        "instance and then two on the same database; auto: when PostgreSQL is "
                        "installed")
    p.add_argument("--json", default="", help="also write every figure to this file")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when Modelyard misses the target on any operation")
    p.add_argument("--keep", action="store_true",
                   help="keep the working directory (data, logs, request files)")
    args = p.parse_args(argv)
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        p.error("--concurrency takes numbers separated by commas, e.g. 1,32")
    if not args.concurrency or min(args.concurrency) < 1:
        p.error("--concurrency needs at least one number >= 1")
    for name in ("models", "versions", "page", "seed_concurrency", "count"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.versions > 99:
        p.error("--versions must be at most 99")
    if args.models > 9999:
        p.error("--models must be at most 9999")
    if args.page > 1000:
        p.error("--page must be at most 1000 (both servers' maximum)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for path, what in ((args.modelyard_bin, "modelyard binary"), (args.loadgen, "load generator")):
        if not os.access(path, os.X_OK):
            log(f"error: no {what} at {path}")
            return 2

    def interrupted(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    use_postgres = args.postgres != "off" and postgres_installed()
    if args.postgres == "on" and not use_postgres:
        log("error: --postgres on, but PostgreSQL is not installed "
            "(scripts/bootstrap.sh --tests installs it)")
        return 2

    started = time.monotonic()
    bench = Bench(args)
    cluster = PostgresCluster()
    workdir = tempfile.mkdtemp(prefix="modelyard-bench-mlflow-")
    servers: list[Server] = []
    status = 0
    try:
        log(f"working directory {workdir}")
        my_dir = os.path.join(workdir, "modelyard")
        os.makedirs(my_dir)
        modelyard = Modelyard(my_dir, args.modelyard_bin)
        servers.append(modelyard)
        modelyard.create_identity()
        bench.run_server(modelyard, modelyard_jobs(args.models, args.versions, args.page),
                         my_dir, ceilings=True)

        if args.mlflow:
            ml_dir = os.path.join(workdir, "mlflow")
            os.makedirs(ml_dir)
            modes = (("keep-alive", "fresh") if args.mlflow_connections == "both"
                     else (args.mlflow_connections,))
            mlflow = MLflow(ml_dir, args.mlflow, modes)
            servers.append(mlflow)
            bench.run_server(mlflow, mlflow_jobs(args.models, args.versions, args.page), ml_dir,
                             ceilings=False)
        else:
            log("MLflow is not available: Modelyard's figures only")
            bench.results["problems"].append("MLflow was not available; no comparison")
        bench.compare()

        if use_postgres:
            pg_dir = os.path.join(workdir, "postgres")
            os.makedirs(pg_dir)
            bench.run_postgres(args.modelyard_bin, pg_dir, servers, cluster,
                               modelyard_jobs(args.models, args.versions, args.page))
        elif args.postgres == "auto":
            log("PostgreSQL is not installed: the PostgreSQL variant is skipped "
                "(scripts/bootstrap.sh --tests installs it)")
            bench.results["postgres"] = {"skipped": "PostgreSQL is not installed"}
    except (SetupError, CheckFailed) as e:
        bench.problem(str(e))
        status = 2 if isinstance(e, SetupError) else 1
    except (KeyboardInterrupt, Interrupted):
        log("interrupted: stopping the servers and removing the working directory")
        status = 130
    finally:
        for server in servers:
            server.stop()
        cluster.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    if status == 130:
        return status
    bench.results["machine"]["loadavg_end"] = loadavg()
    bench.results["elapsed_s"] = time.monotonic() - started
    if not bench.results["comparison"]:
        bench.compare()
    print_report(bench.results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(bench.results, f, indent=2)
        log(f"wrote {args.json}")
    if status:
        return status
    if bench.failed:
        return 1
    missed = [r for r in bench.results["comparison"] if r.get("pass") is False]
    if args.strict and missed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
