#!/usr/bin/env python3
"""Benchmark of Modelyard's version endpoints: file upload and download throughput, the
server's memory while it streams, and version listing latency on a model with many versions.

The script starts its own server on a free port with a throwaway data directory, so it never
touches an existing installation. Every figure is reported next to a reference measured on the
same machine in the same run (local disk throughput, `GET /healthz` latency), so the results read
as ratios rather than absolute claims. See bench/README.md.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import shutil
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

import harness
from harness import CheckFailed, SetupError, log

MIB = 1024 * 1024
CHUNK = MIB
SOCKET_TIMEOUT = 300.0  # seconds, for every HTTP request
MEMORY_TARGET_MIB = 64.0  # peak RSS growth allowed while streaming a file
LIST_REPEATS = 20
HEALTHZ_REPEATS = 50
CREATE_CONNECTIONS = 4
USER = "bench"
MODEL = "bench-model"
LIST_MODEL = "bench-list"
FILE_PATH = "weights.bin"
ZIP_TAIL = 64 * 1024  # bytes of the zip kept to read its central directory


# --------------------------------------------------------------------------------------------
# Helpers


def mib_s(nbytes: int, seconds: float) -> float:
    return nbytes / MIB / seconds if seconds > 0 else float("inf")


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Payload:
    """Cheap pseudo-random content: one random 1 MiB block whose first 8 bytes are replaced by
    the chunk's index, so no two chunks are identical. The same object always yields the same
    bytes, which lets the checks recompute digests without keeping the data."""

    def __init__(self, chunks: int) -> None:
        self.count = chunks
        self.size = chunks * CHUNK
        self.block = os.urandom(CHUNK)

    def chunks(self):
        buf = bytearray(self.block)
        for i in range(self.count):
            buf[0:8] = i.to_bytes(8, "little")
            yield buf  # the same buffer each time: use it before asking for the next

    def sha256(self) -> str:
        h = hashlib.sha256()
        for chunk in self.chunks():
            h.update(chunk)
        return h.hexdigest()

    def crc32(self) -> int:
        crc = 0
        for chunk in self.chunks():
            crc = zlib.crc32(chunk, crc)
        return crc


def read_memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS since start or since the last reset) in MiB."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024.0  # kB -> MiB
    return out


def reset_peak(pid: int) -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# The server under test


class Server(harness.Server):
    def __init__(self, binary: str, data_dir: str) -> None:
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")  # no per-request logging in the measurements
        super().__init__(binary, data_dir, env=env)
        self.token = ""

    def create_identity(self) -> None:
        self.token = self.add_user(USER, admin=True)


# --------------------------------------------------------------------------------------------
# HTTP


class Client:
    """One keep-alive connection with the bearer token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.conn: http.client.HTTPConnection | None = None

    def connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, auth: bool = True,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=all_headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        if resp.will_close:
            self.close()
        return resp.status, data

    def json(self, method: str, path: str, payload: object = None, expect: int = 200) -> dict:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.request(method, path, body)
        if status != expect:
            raise CheckFailed(
                f"{method} {path} answered {status}, expected {expect}: {data[:500]!r}"
            )
        try:
            return json.loads(data)
        except ValueError as e:
            raise CheckFailed(f"{method} {path} answered invalid JSON: {e}") from e


def api(*parts: str) -> str:
    return "/api/v1/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)


def upload(port: int, token: str, path: str, payload: Payload) -> tuple[int, bytes, str, float]:
    """Streams the payload as a PUT body with a fixed Content-Length, hashing while sending.
    Answers (status, body, client sha256, seconds from first byte to full response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT)
    try:
        sha = hashlib.sha256()
        start = time.perf_counter()
        conn.putrequest("PUT", path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(payload.size))
        conn.endheaders()
        send_error: OSError | None = None
        sent = 0
        try:
            for chunk in payload.chunks():
                sha.update(chunk)
                conn.send(chunk)
                sent += len(chunk)
        except OSError as e:  # the server answered early and closed; read its answer
            send_error = e
        try:
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise CheckFailed(
                f"PUT {path}: no response after sending {sent} of {payload.size} bytes "
                f"({send_error or e})"
            ) from e
        seconds = time.perf_counter() - start
        if send_error is not None and resp.status < 400:
            raise CheckFailed(f"PUT {path}: sending failed after {sent} bytes: {send_error}")
        return resp.status, body, sha.hexdigest(), seconds
    finally:
        conn.close()


def download(port: int, token: str, path: str, keep_tail: bool = False) -> dict:
    """GET streamed into a 1 MiB buffer and hashed, never stored."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT)
    try:
        sha = hashlib.sha256()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        size = 0
        tail = b""
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise CheckFailed(f"GET {path} answered {resp.status}: {resp.read(500)!r}")
        while True:
            n = resp.readinto(view)
            if not n:
                break
            sha.update(view[:n])
            size += n
            if keep_tail:
                if n >= ZIP_TAIL:
                    tail = bytes(view[n - ZIP_TAIL:n])
                else:
                    tail = (tail + bytes(view[:n]))[-ZIP_TAIL:]
        seconds = time.perf_counter() - start
        return {
            "size": size,
            "sha256": sha.hexdigest(),
            "seconds": seconds,
            "tail": tail,
            "content_length": resp.getheader("Content-Length"),
            "content_type": resp.getheader("Content-Type"),
        }
    finally:
        conn.close()


def zip_entries(tail: bytes, total_size: int) -> list[dict]:
    """The central directory of a zip whose last `len(tail)` bytes are `tail`: name,
    compression method, CRC-32 and uncompressed size of each entry (ZIP64 aware)."""
    base = total_size - len(tail)  # absolute offset of tail[0]
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0 or len(tail) - eocd < 22:
        raise CheckFailed("the zip has no end-of-central-directory record")
    _sig, _d, _cd, _n_disk, entries, cd_size, cd_offset, _clen = struct.unpack_from(
        "<4s4H2LH", tail, eocd
    )
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = eocd - 20
        if loc < 0 or tail[loc:loc + 4] != b"PK\x06\x07":
            raise CheckFailed("the zip lacks its ZIP64 end-of-central-directory locator")
        _sig, _disk, z64_offset, _disks = struct.unpack_from("<4sLQL", tail, loc)
        rel = z64_offset - base
        if rel < 0 or tail[rel:rel + 4] != b"PK\x06\x06":
            raise CheckFailed("the zip's ZIP64 end-of-central-directory record is not where it points")
        (_sig, _size, _made, _need, _disk, _cdd, _n_disk, entries, cd_size,
         cd_offset) = struct.unpack_from("<4sQ2H2L4Q", tail, rel)
    pos = cd_offset - base
    if pos < 0 or pos + cd_size > len(tail):
        raise CheckFailed(f"the zip's central directory ({cd_size} bytes) is not at its end")
    out = []
    for _ in range(entries):
        if tail[pos:pos + 4] != b"PK\x01\x02":
            raise CheckFailed("the zip's central directory is malformed")
        (_sig, _made, _need, _flags, method, _time, _date, crc, csize, usize, name_len,
         extra_len, comment_len, _disk, _iattr, _eattr, _offset) = struct.unpack_from(
            "<4s6H3L5H2L", tail, pos)
        pos += 46
        name = tail[pos:pos + name_len].decode("utf-8", "replace")
        extra = tail[pos + name_len:pos + name_len + extra_len]
        if usize == 0xFFFFFFFF:  # the real size is in the ZIP64 extra field, first
            i = 0
            while i + 4 <= len(extra):
                tag, length = struct.unpack_from("<2H", extra, i)
                if tag == 0x0001 and length >= 8:
                    (usize,) = struct.unpack_from("<Q", extra, i + 4)
                    break
                i += 4 + length
        pos += name_len + extra_len + comment_len
        out.append({"name": name, "method": method, "crc32": crc, "size": usize})
    return out


# --------------------------------------------------------------------------------------------
# Measurements


class Bench:
    def __init__(self, args: argparse.Namespace, binary: str) -> None:
        self.args = args
        self.binary = binary
        self.results: dict = {
            "binary": binary,
            "size_mib": args.size_mib,
            "versions": args.versions,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "checks": [],
        }
        self.server: Server | None = None

    # -- checks

    def check(self, ok: bool, name: str, detail: str = "", fatal: bool = False) -> bool:
        self.results["checks"].append({"name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            log(f"CHECK FAILED: {name}: {detail}")
            if fatal:
                raise CheckFailed(f"{name}: {detail}")
        return ok

    # -- reference figures

    def reference_disk(self, directory: str, payload: Payload) -> None:
        """Writes and reads back a file of the same size in the same file system as the
        server's data dir, hashing both ways and syncing once at the end as the server does."""
        path = os.path.join(directory, "reference.bin")
        log(f"reference: writing {payload.size // MIB} MiB to local disk")
        try:
            sha_w = hashlib.sha256()
            start = time.perf_counter()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                for chunk in payload.chunks():
                    sha_w.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
                os.fdatasync(fd)
            finally:
                os.close(fd)
            write_s = time.perf_counter() - start

            log("reference: reading it back")
            sha_r = hashlib.sha256()
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            size = 0
            start = time.perf_counter()
            fd = os.open(path, os.O_RDONLY)
            try:
                while n := os.readv(fd, [view]):
                    sha_r.update(view[:n])
                    size += n
            finally:
                os.close(fd)
            read_s = time.perf_counter() - start
        finally:
            try:
                os.remove(path)
            except OSError:
                pass
        self.check(sha_w.hexdigest() == sha_r.hexdigest() and size == payload.size,
                   "reference file reads back as written", fatal=True)
        self.payload_sha256 = sha_w.hexdigest()

        # How fast this client can hash at all: the ceiling for every hashed transfer below.
        sample = min(payload.count, 256)
        h = hashlib.sha256()
        start = time.perf_counter()
        block = payload.block
        for _ in range(sample):
            h.update(block)
        hash_s = time.perf_counter() - start

        self.results["reference"] = {
            "disk_write_mib_s": mib_s(payload.size, write_s),
            "disk_read_mib_s": mib_s(payload.size, read_s),
            "disk_write_seconds": write_s,
            "disk_read_seconds": read_s,
            "client_sha256_mib_s": mib_s(sample * CHUNK, hash_s),
        }

    def healthz(self, client: Client) -> None:
        client.request("GET", "/healthz", auth=False)  # warm the connection
        samples = []
        statuses = set()
        for _ in range(HEALTHZ_REPEATS):
            start = time.perf_counter()
            status, _ = client.request("GET", "/healthz", auth=False)
            samples.append((time.perf_counter() - start) * 1000)
            statuses.add(status)
        self.check(statuses == {200}, "GET /healthz answers 200", f"got {sorted(statuses)}",
                   fatal=True)
        self.results["reference"]["healthz_median_ms"] = statistics.median(samples)
        self.results["reference"]["healthz_p95_ms"] = p95(samples)

    # -- transfers

    def transfers(self, server: Server, client: Client, payload: Payload) -> None:
        model = client.json("POST", api("models"), {"name": MODEL}, expect=201)
        self.check(model.get("name") == MODEL, "POST /models creates the model",
                   f"name {model.get('name')!r}", fatal=True)
        version = client.json("POST", api("models", MODEL, "versions"), {}, expect=201)
        number = version.get("version")
        self.check(number == "0.1.0", "the first version is 0.1.0", f"got {number!r}",
                   fatal=True)
        self.check(version.get("state") == "draft", "a new version is a draft",
                   f"state {version.get('state')!r}")
        file_url = api("models", MODEL, "versions", number, "files", FILE_PATH)
        zip_url = api("models", MODEL, "versions", number, "download")
        pid = server.pid
        memory: dict = {"target_mib": MEMORY_TARGET_MIB}

        # Upload.
        reset_ok = reset_peak(pid)
        before = read_memory(pid)
        memory["peak_reset_supported"] = reset_ok
        memory["baseline_rss_mib"] = before["VmRSS"]
        memory["baseline_hwm_mib"] = before["VmHWM"]
        log(f"upload: PUT {payload.size // MIB} MiB")
        status, body, client_sha, seconds = upload(server.port, server.token, file_url, payload)
        after = read_memory(pid)
        memory["upload_rss_after_mib"] = after["VmRSS"]
        memory["upload_hwm_after_mib"] = after["VmHWM"]
        memory["upload_peak_growth_mib"] = max(0.0, after["VmHWM"] - before["VmHWM"])
        self.check(status == 201, "PUT file answers 201", f"got {status}: {body[:300]!r}",
                   fatal=True)
        try:
            stored = json.loads(body)
        except ValueError:
            stored = {}
        self.check(stored.get("sha256") == client_sha, "server sha256 of the upload matches",
                   f"server {stored.get('sha256')!r}, client {client_sha}", fatal=True)
        self.check(stored.get("size") == payload.size, "server size of the upload matches",
                   f"server {stored.get('size')!r}, client {payload.size}")
        self.check(client_sha == self.payload_sha256, "uploaded bytes are the reference bytes",
                   fatal=True)
        self.results["upload"] = {
            "bytes": payload.size,
            "seconds": seconds,
            "mib_s": mib_s(payload.size, seconds),
            "sha256": client_sha,
        }

        # Downloads: the single file, then the whole version as a zip.
        reset_ok = reset_peak(pid)
        before = read_memory(pid)
        memory["download_baseline_rss_mib"] = before["VmRSS"]
        log("download: GET the file")
        got = download(server.port, server.token, file_url)
        self.check(got["sha256"] == client_sha, "downloaded file sha256 matches",
                   f"got {got['sha256']}", fatal=True)
        self.check(got["size"] == payload.size, "downloaded file size matches",
                   f"got {got['size']} bytes", fatal=True)
        self.results["download_file"] = {
            "bytes": got["size"],
            "seconds": got["seconds"],
            "mib_s": mib_s(got["size"], got["seconds"]),
        }
        mid = read_memory(pid)
        memory["download_file_peak_growth_mib"] = max(0.0, mid["VmHWM"] - before["VmHWM"])

        reset_ok = reset_peak(pid) and reset_ok
        before_zip = read_memory(pid) if reset_ok else before
        log("download: GET the version as a zip")
        # Hashed too, so the client does the same work for both downloads.
        z = download(server.port, server.token, zip_url, keep_tail=True)
        after = read_memory(pid)
        memory["download_zip_peak_growth_mib"] = max(0.0, after["VmHWM"] - before_zip["VmHWM"])
        memory["download_rss_after_mib"] = after["VmRSS"]
        memory["download_peak_growth_mib"] = max(memory["download_file_peak_growth_mib"],
                                                 memory["download_zip_peak_growth_mib"])
        self.results["download_zip"] = {
            "bytes": z["size"],
            "seconds": z["seconds"],
            "mib_s": mib_s(z["size"], z["seconds"]),
            "overhead_bytes": z["size"] - payload.size,
        }
        self.check((z["content_type"] or "").startswith("application/zip"),
                   "zip download has Content-Type application/zip", f"got {z['content_type']!r}")
        entries = zip_entries(z["tail"], z["size"])
        entry = next((e for e in entries if e["name"] == FILE_PATH), None)
        self.check(len(entries) == 1 and entry is not None, "zip lists exactly weights.bin",
                   f"entries {[e['name'] for e in entries]}", fatal=True)
        self.check(entry["size"] == payload.size, "zip entry size matches",
                   f"got {entry['size']}", fatal=True)
        crc = payload.crc32()  # recomputed here, outside the timed transfers
        self.check(entry["crc32"] == crc, "zip entry CRC-32 matches",
                   f"zip {entry['crc32']:08x}, client {crc:08x}", fatal=True)

        memory["peak_growth_mib"] = max(memory["upload_peak_growth_mib"],
                                        memory["download_peak_growth_mib"])
        memory["pass"] = memory["peak_growth_mib"] <= MEMORY_TARGET_MIB
        if not reset_ok:
            memory["note"] = ("/proc/PID/clear_refs could not reset VmHWM; growth is measured "
                              "against the peak before each phase and may read low")
        self.results["memory"] = memory

    # -- listing

    def create_versions(self, server: Server, client: Client, count: int) -> None:
        client.json("POST", api("models"), {"name": LIST_MODEL}, expect=201)
        path = api("models", LIST_MODEL, "versions")
        body = b"{}"
        lock = threading.Lock()
        state = {"next": 0, "done": 0, "error": None}
        stop = threading.Event()

        def worker() -> None:
            c = Client(server.port, server.token)
            try:
                while not stop.is_set():
                    with lock:
                        if state["next"] >= count:
                            return
                        state["next"] += 1
                    status, data = c.request("POST", path, body)
                    if status != 201:
                        raise CheckFailed(f"POST {path} answered {status}: {data[:300]!r}")
                    with lock:
                        state["done"] += 1
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                with lock:
                    if state["error"] is None:
                        state["error"] = e
                stop.set()
            finally:
                c.close()

        connections = max(1, min(CREATE_CONNECTIONS, count))
        log(f"listing: creating {count} versions over {connections} connections")
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        step = max(1, count // 10)
        reported = 0
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(1.0)
            with lock:
                done = state["done"]
            if done - reported >= step and done < count:
                reported = done
                log(f"listing: {done}/{count} versions")
        seconds = time.perf_counter() - start
        if state["error"] is not None:
            err = state["error"]
            raise err if isinstance(err, CheckFailed) else CheckFailed(
                f"creating versions failed after {state['done']}: {err!r}")
        self.results["listing"] = {
            "created": state["done"],
            "connections": connections,
            "create_seconds": seconds,
            "versions_per_s": state["done"] / seconds if seconds > 0 else None,
            "queries": {},
        }

    def listing(self, client: Client, count: int) -> None:
        last_offset = max(0, count - 50)
        queries = [
            ("first_page", "limit=50", 0, 50),
            ("last_page", f"offset={last_offset}&limit=50", last_offset, 50),
            ("page_1000", "limit=1000", 0, 1000),
        ]
        base = api("models", LIST_MODEL, "versions")
        healthz = self.results["reference"]["healthz_median_ms"]
        for key, query, offset, limit in queries:
            url = f"{base}?{query}"
            page = client.json("GET", url)  # untimed: warms up and is checked
            expected = max(0, min(limit, count - offset))
            data = page.get("data") or []
            self.check(page.get("total_count") == count, f"{key}: total_count == {count}",
                       f"got {page.get('total_count')!r}")
            self.check(page.get("count") == expected and len(data) == expected,
                       f"{key}: {expected} versions on the page",
                       f"count {page.get('count')!r}, data {len(data)}")
            # Default bump is minor and the first version is 0.1.0, so the versions are
            # 0.1.0 .. 0.N.0; newest first means the minor number counts down from N - offset.
            minors = []
            for item in data:
                parts = str(item.get("version", "")).split(".")
                minors.append(int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1)
            want = list(range(count - offset, count - offset - expected, -1))
            self.check(minors == want, f"{key}: versions newest first",
                       f"first {data[0].get('version') if data else None!r}, "
                       f"last {data[-1].get('version') if data else None!r}")
            if offset + expected >= count:
                self.check(page.get("next") is None, f"{key}: next is null on the last page",
                           f"got {page.get('next')!r}")
            samples = []
            for _ in range(LIST_REPEATS):
                start = time.perf_counter()
                status, _body = client.request("GET", url)
                samples.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    self.check(False, f"{key}: GET answers 200", f"got {status}", fatal=True)
            median = statistics.median(samples)
            self.results["listing"]["queries"][key] = {
                "query": query,
                "repeats": LIST_REPEATS,
                "median_ms": median,
                "p95_ms": p95(samples),
                "ratio_to_healthz": ratio(median, healthz),
            }

    # -- the whole run

    def run(self) -> None:
        args = self.args
        payload = Payload(args.size_mib)
        work = tempfile.mkdtemp(prefix="modelyard-bench-")
        try:
            free = shutil.disk_usage(work).free
            need = payload.size + 256 * MIB
            if free < need:
                raise SetupError(f"{work} has {free // MIB} MiB free; this run needs about "
                                 f"{need // MIB} MiB (lower --size-mib or set TMPDIR)")
            self.reference_disk(work, payload)
            data_dir = os.path.join(work, "data")
            os.mkdir(data_dir)
            server = Server(self.binary, data_dir)
            self.server = server
            try:
                server.create_identity()
                server.start()
                log(f"server pid {server.pid} on 127.0.0.1:{server.port}")
                client = Client(server.port, server.token)
                try:
                    self.healthz(client)
                    self.transfers(server, client, payload)
                    ref = self.results["reference"]
                    self.results["upload"]["ratio_to_disk_write"] = ratio(
                        self.results["upload"]["mib_s"], ref["disk_write_mib_s"])
                    for key in ("download_file", "download_zip"):
                        self.results[key]["ratio_to_disk_read"] = ratio(
                            self.results[key]["mib_s"], ref["disk_read_mib_s"])
                    self.create_versions(server, client, args.versions)
                    self.listing(client, args.versions)
                    end = read_memory(server.pid)
                    self.results["memory"]["end_rss_mib"] = end["VmRSS"]
                finally:
                    client.close()
                self.check(server.alive(), "server still running at the end", fatal=True)
            except (CheckFailed, OSError, http.client.HTTPException) as e:
                if self.server is not None:
                    log(self.server.log_tail())
                if isinstance(e, CheckFailed):
                    raise
                raise CheckFailed(f"{type(e).__name__}: {e}") from e
            finally:
                server.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Output


def fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def print_table(r: dict) -> None:
    ref = r.get("reference", {})
    up = r.get("upload")
    dl = r.get("download_file")
    zp = r.get("download_zip")
    mem = r.get("memory")
    lst = r.get("listing")
    out = []
    out.append(f"Modelyard version benchmark  {r['started_at']}")
    out.append(f"  binary {r['binary']}")
    out.append(f"  file size {r['size_mib']} MiB, {r['versions']} versions")
    out.append("")
    out.append("Reference (this machine, this run)")
    out.append(f"  {'local disk write + fdatasync, sha256':<44}{fmt(ref.get('disk_write_mib_s')):>10} MiB/s")
    out.append(f"  {'local disk read back, sha256':<44}{fmt(ref.get('disk_read_mib_s')):>10} MiB/s")
    out.append(f"  {'client sha256 alone (ceiling)':<44}{fmt(ref.get('client_sha256_mib_s')):>10} MiB/s")
    out.append(f"  {'GET /healthz median':<44}{fmt(ref.get('healthz_median_ms'), '.3f'):>10} ms")
    if up or dl or zp:
        out.append("")
        out.append(f"{'Transfers':<46}{'MiB/s':>10}   vs reference")
        if up:
            out.append(f"  {'PUT  .../files/weights.bin':<44}{fmt(up['mib_s']):>10}   "
                       f"{fmt(up.get('ratio_to_disk_write'), '.2f')} x disk write")
        if dl:
            out.append(f"  {'GET  .../files/weights.bin':<44}{fmt(dl['mib_s']):>10}   "
                       f"{fmt(dl.get('ratio_to_disk_read'), '.2f')} x disk read")
        if zp:
            label = f"GET  .../download (zip, {zp['bytes'] / MIB:.2f} MiB)"
            out.append(f"  {label:<44}{fmt(zp['mib_s']):>10}   "
                       f"{fmt(zp.get('ratio_to_disk_read'), '.2f')} x disk read")
    if mem and "peak_growth_mib" in mem:
        verdict = "PASS" if mem["pass"] else "FAIL"
        out.append("")
        out.append(f"Server memory: peak RSS growth while streaming (target <= {mem['target_mib']:.0f} MiB)")
        out.append(f"  {'baseline VmRSS before upload':<44}{fmt(mem['baseline_rss_mib']):>10} MiB")
        out.append(f"  {'upload peak growth':<44}{fmt(mem['upload_peak_growth_mib']):>10} MiB")
        out.append(f"  {'file download peak growth':<44}{fmt(mem['download_file_peak_growth_mib']):>10} MiB")
        out.append(f"  {'zip download peak growth':<44}{fmt(mem['download_zip_peak_growth_mib']):>10} MiB")
        out.append(f"  {'peak growth':<44}{fmt(mem['peak_growth_mib']):>10} MiB   {verdict}")
        if "note" in mem:
            out.append(f"  note: {mem['note']}")
    if lst:
        out.append("")
        out.append(f"Listing ({LIST_MODEL}, {lst['created']} versions)")
        out.append(f"  {'create versions (' + str(lst['connections']) + ' connections)':<44}"
                   f"{fmt(lst['versions_per_s']):>10} versions/s   ({lst['create_seconds']:.1f} s)")
        if lst["queries"]:
            out.append(f"  {'GET .../versions?':<44}{'median ms':>10}{'p95 ms':>10}{'x healthz':>11}")
            for q in lst["queries"].values():
                out.append(f"  {q['query']:<44}{fmt(q['median_ms'], '.2f'):>10}"
                           f"{fmt(q['p95_ms'], '.2f'):>10}{fmt(q['ratio_to_healthz'], '.1f'):>11}")
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark Modelyard's version endpoints against a server it starts itself.")
    parser.add_argument("--size-mib", type=int, default=1024,
                        help="size of the uploaded file in MiB (default 1024)")
    parser.add_argument("--versions", type=int, default=10000,
                        help="versions created for the listing benchmark (default 10000)")
    parser.add_argument("--bin", default=None,
                        help="the modelyard binary (default: $CARGO_TARGET_DIR/release/modelyard "
                             "if it exists, else .../debug/modelyard; CARGO_TARGET_DIR defaults "
                             "to /root/.cache/modelyard/target)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when the memory target is missed")
    args = parser.parse_args()
    if args.size_mib < 1:
        parser.error("--size-mib must be at least 1")
    if args.versions < 1:
        parser.error("--versions must be at least 1")

    binary = harness.chosen_binary(args.bin)
    if binary is None:
        return 2
    bench = Bench(args, binary)
    code, error = harness.run_guarded(bench.run)
    if error is not None:
        bench.results["error"] = error
    r = bench.results
    if code == 0 and any(not c["ok"] for c in r["checks"]):
        code = 1
    mem = r.get("memory", {})
    if code == 0 and args.strict and mem.get("pass") is False:
        code = 1
    r["ok"] = code == 0
    print_table(r)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(r, f, indent=2, sort_keys=True)
            f.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
