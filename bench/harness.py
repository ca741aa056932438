"""What the benchmarks share: the Modelyard server they start and stop, its command line, and
the errors that end a run. Standard library only; the scripts beside this file import it."""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

STARTUP_TIMEOUT = 60.0  # seconds until GET /healthz must answer 200
CLI_TIMEOUT = 60.0  # seconds for `modelyard user add` / `token add`
STOP_TIMEOUT = 15.0  # seconds between SIGTERM and SIGKILL
PASSWORD = "password123"
TOKEN_NAME = "bench-token"


class CheckFailed(Exception):
    """A check that makes further measurement pointless."""


class SetupError(Exception):
    """The benchmark could not run (no binary, no disk space, the server did not start)."""


def default_binary() -> str:
    target = os.environ.get("CARGO_TARGET_DIR") or "/root/.cache/modelyard/target"
    release = os.path.join(target, "release", "modelyard")
    if os.path.exists(release):
        return release
    return os.path.join(target, "debug", "modelyard")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In the server's child process: ask Linux to SIGTERM it if the script dies abruptly."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort only
        pass


class Server:
    """`modelyard serve` on a free port of 127.0.0.1 over `data_dir`, its log in the same place."""

    def __init__(self, binary: str, data_dir: str, env: dict[str, str] | None = None,
                 poll_seconds: float = 0.1) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = os.path.join(data_dir, "server.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.env = env if env is not None else dict(os.environ)
        self.poll_seconds = poll_seconds

    def cli(self, args: list[str], stdin: str = "") -> str:
        result = subprocess.run(
            [self.binary, *args, "--data-dir", self.data_dir],
            input=stdin, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
        if result.returncode != 0:
            raise SetupError(f"`modelyard {' '.join(args)}` exited with {result.returncode}: "
                             f"{result.stderr.strip()[-2000:]}")
        return result.stdout

    def add_user(self, name: str, admin: bool) -> str:
        """Adds a user with PASSWORD and answers a new API token of theirs."""
        self.cli(["user", "add", name, *(["--admin"] if admin else [])], stdin=PASSWORD + "\n")
        token = self.cli(["token", "add", TOKEN_NAME, "--user", name]).strip()
        if not token or len(token.split()) != 1:
            raise SetupError(f"`modelyard token add` printed {token!r}, expected one token")
        return token

    def start(self) -> float:
        """Starts the server; answers the milliseconds from spawning it to the first 200 of
        GET /healthz."""
        for _attempt in range(3):
            self.port = free_port()
            log_file = open(self.log_path, "ab")
            try:
                start = time.perf_counter()
                self.proc = subprocess.Popen(
                    [self.binary, "serve", "--addr", f"127.0.0.1:{self.port}",
                     "--data-dir", self.data_dir],
                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                    env=self.env, start_new_session=True, preexec_fn=die_with_parent,
                )
            finally:
                log_file.close()
            if self.wait_healthy():
                return (time.perf_counter() - start) * 1000
            # Most likely the port was taken between choosing and binding: try another one.
            self.stop()
        raise SetupError("the server did not answer GET /healthz with 200\n" + self.log_tail())

    def wait_healthy(self) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(self.poll_seconds)
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                tail = f.readlines()[-lines:]
        except OSError:
            return "(no server log)"
        if not tail:
            return "server log: (empty; set RUST_LOG=info for more)"
        return "server log (last lines):\n" + "".join("  " + line for line in tail)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def chosen_binary(given: str | None) -> str | None:
    """The binary to measure: `given`, else default_binary(). None, said on stderr, when it is
    not an executable; a note when a newer debug build is left out."""
    binary = os.path.abspath(given or default_binary())
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        log(f"error: no executable modelyard binary at {binary} (build it, or pass --bin)")
        return None
    if given is None:
        debug = os.path.join(os.path.dirname(os.path.dirname(binary)), "debug", "modelyard")
        if debug != binary and os.path.exists(debug) and \
                os.path.getmtime(debug) > os.path.getmtime(binary):
            log(f"note: {debug} is newer than {binary}; pass --bin to benchmark it instead")
    return binary


def run_guarded(run) -> tuple[int, str | None]:
    """Runs `run()` so that a SIGTERM or Ctrl-C still stops the server and removes the temporary
    directory; answers the exit code (0, 1 for a failed check, 2 for set-up, 130 when
    interrupted) and the error to record, if any."""
    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        run()
    except SetupError as e:
        return 2, f"setup: {e}"
    except CheckFailed as e:
        return 1, str(e)
    except KeyboardInterrupt:
        return 130, "interrupted"
    return 0, None
