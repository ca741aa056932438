#!/usr/bin/env python3
"""Instructions the server executes per request, counted by valgrind's callgrind.

The CPU-time figures of cpu.py move with whatever else the machine does (on a shared VM, by a
third from one run to the next). Instruction counts do not: the same binary, registry and
requests give the same count, so two builds can be compared by a change of a few per cent.
They leave out the kernel (the loopback, the wake-ups), which cpu.py counts.

The script seeds a registry as cpu.py does (through the REST API of a normal server), then
starts the server again under `valgrind --tool=callgrind`, warms each operation up, zeroes the
counters, sends a fixed number of requests over one keep-alive connection and reads the
total. Each figure is shown with its multiple of `GET /healthz`, measured in the same run.

Python 3.11 standard library, and valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import cpu
import harness
from harness import CheckFailed, log

# (key, label, path, client, requests): path {model}/{big} are filled in after seeding.
OPERATIONS = [
    ("healthz", "GET /healthz (reference)", "/healthz", "anon", 400),
    ("list_models", "GET /models?limit=100 (admin)", "models?limit=100", "admin", 30),
    ("list_models_member", "GET /models?limit=100 (member)", "models?limit=100", "member", 30),
    ("get_model", "GET /models/{name}", "models/{model}", "admin", 200),
    ("list_versions", "GET /models/{m}/versions?limit=50", "models/{big}/versions?limit=50",
     "admin", 30),
]


class CallgrindServer(harness.Server):
    """The server under callgrind: counting from the start, zeroed before each measurement.
    What the harness starts is a script that runs the binary under valgrind."""

    def __init__(self, binary: str, data_dir: str, out_dir: str) -> None:
        wrapper = os.path.join(out_dir, "serve-under-callgrind.sh")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\nexec valgrind --tool=callgrind --quiet "
                    f"--callgrind-out-file={out_dir}/callgrind.%p '{binary}' \"$@\"\n")
        os.chmod(wrapper, 0o755)
        super().__init__(wrapper, data_dir, poll_seconds=0.5)
        self.out_dir = out_dir

    def control(self, flag: str) -> None:
        subprocess.run(["callgrind_control", flag, str(self.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def counted(self) -> int:
        """Dumps the counters and answers the instructions since they were last zeroed."""
        before = set(glob.glob(os.path.join(self.out_dir, "callgrind.*.*")))
        self.control("-d")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = set(glob.glob(os.path.join(self.out_dir, "callgrind.*.*"))) - before
            for path in new:
                with open(path, encoding="utf-8", errors="replace") as f:
                    for line in f:
                        m = re.match(r"^(summary|totals):\s+(\d+)", line)
                        if m:
                            return int(m.group(2))
            time.sleep(0.2)
        raise CheckFailed("callgrind wrote no dump")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--bin")
    parser.add_argument("--json", help="also write the figures as JSON")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        log("error: valgrind is not installed (apt-get install valgrind)")
        return 2
    binary = harness.chosen_binary(args.bin)
    if binary is None:
        return 2
    results: dict = {"binary": binary, "models": args.models, "versions": args.versions,
                     "operations": []}

    def run() -> None:
        work = tempfile.mkdtemp(prefix="modelyard-instructions-")
        try:
            data_dir = os.path.join(work, "data")
            os.mkdir(data_dir)
            bench = cpu.Bench(argparse.Namespace(models=args.models, versions=args.versions,
                                                 scale=1.0, perf=None), binary)
            seeder = cpu.Server(binary, data_dir)
            tokens = {"admin": seeder.add_user(cpu.ADMIN, admin=True),
                      "member": seeder.add_user(cpu.MEMBER, admin=False)}
            seeder.start()
            try:
                bench.seed(seeder, cpu.Client(seeder.port, tokens["admin"]), tokens["admin"])
            finally:
                seeder.stop()
            server = CallgrindServer(binary, data_dir, work)
            log("starting the server under callgrind (slow)")
            server.start()
            try:
                clients = {"anon": cpu.Client(server.port),
                           "admin": cpu.Client(server.port, tokens["admin"]),
                           "member": cpu.Client(server.port, tokens["member"])}
                for key, label, path, who, count in OPERATIONS:
                    if not path.startswith("/"):
                        path = "/api/v1/" + path.format(model=bench.model, big=cpu.BIG_MODEL)
                    client = clients[who]
                    for _ in range(5):
                        client.request("GET", path)
                    server.control("-z")
                    for _ in range(count):
                        status, body, _ = client.request("GET", path)
                        if status != 200:
                            raise CheckFailed(f"{label}: {status} {body[:300]!r}")
                    per_request = server.counted() / count
                    results["operations"].append({"key": key, "operation": label, "path": path,
                                                  "requests": count,
                                                  "instructions_per_request": per_request})
                    log(f"  {label}: {per_request:,.0f} instructions per request")
            finally:
                server.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    code, error = harness.run_guarded(run)
    if error:
        log(f"error: {error}")
        results["error"] = error
    ops = results["operations"]
    if ops:
        healthz = ops[0]["instructions_per_request"]
        print(f"Instructions per request (callgrind), {args.models} models, one with "
              f"{args.versions} versions\n  binary {binary}\n")
        print(f"{'operation':<40}{'requests':>9}{'instructions':>15}{'x healthz':>11}")
        for op in ops:
            op["ratio_to_healthz"] = op["instructions_per_request"] / healthz if healthz else None
            print(f"{op['operation']:<40}{op['requests']:>9}"
                  f"{op['instructions_per_request']:>15,.0f}{op['ratio_to_healthz']:>11.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return code


if __name__ == "__main__":
    sys.exit(main())
