"""Run Enclave through a day's work inside a network namespace and record every attempt to leave.

Started by ``test_egress.py`` as root under ``unshare --net --mount``: the
namespace has only loopback, and ``/etc/resolv.conf`` is bind-mounted to point
at 127.0.0.1, where this script answers DNS itself (UDP and TCP port 53): every
name resolves to 127.0.0.1 and is recorded. Listeners on ports 443 and 80
record whoever connects. Each ``enclave`` process runs under ``strace -f``, so
a connection attempt to any non-loopback address (a hard-coded resolver, an
IP literal) is recorded too, even though it cannot succeed here.

The work: first start (the embedding model is exported: a fresh models
directory), a document ingested through the API and one from the terminal,
questions through the REST API, the web chat, ``/v1/chat/completions`` and
``enclave ask``, then a stop. The report (JSON) goes to the path given.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ADMIN_PASSWORD, ENCLAVE, free_port, process_env

CANARY = "egress-canary.invalid"
QUESTION = "How many days of paid annual leave do employees get?"
DOCUMENT = "# Leave\n\nEvery employee is entitled to twenty-seven days of paid annual leave.\n"
_ADDRESS = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"')


class Sinkhole:
    """DNS on 127.0.0.1:53 (every name is 127.0.0.1), and TCP listeners on 443 and 80."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.connections: list[str] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 53))
        threading.Thread(target=self._udp, args=(udp,), daemon=True).start()
        for port in (53, 80, 443):
            listener = socket.create_server(("127.0.0.1", port))
            threading.Thread(target=self._tcp, args=(listener, port), daemon=True).start()

    def _record(self, bucket: list[str], entry: str) -> None:
        with self._lock:
            bucket.append(entry)

    def _udp(self, sock: socket.socket) -> None:
        while True:
            packet, peer = sock.recvfrom(4096)
            sock.sendto(self._answer(packet), peer)

    def _tcp(self, listener: socket.socket, port: int) -> None:
        while True:
            conn, peer = listener.accept()
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                if port == 53 and len(data) > 2:
                    reply = self._answer(data[2:])
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
                else:
                    self._record(self.connections, f"tcp:{port} from {peer[0]} {data[:8]!r}")

    def _answer(self, query: bytes) -> bytes:
        """Record the question; answer A queries with 127.0.0.1, others with no record."""
        labels, offset = [], 12
        while offset < len(query) and query[offset]:
            length = query[offset]
            labels.append(query[offset + 1 : offset + 1 + length].decode(errors="replace"))
            offset += 1 + length
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        self._record(self.queries, f"{'.'.join(labels)} type={qtype}")
        question = query[12 : offset + 5]
        answers = 1 if qtype == 1 else 0
        header = query[:2] + struct.pack("!HHHHH", 0x8180, 1, answers, 0, 0)
        record = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        return header + question + (record if answers else b"")


def non_loopback(trace: Path) -> list[str]:
    """strace lines of connect/sendto/sendmsg to an address outside loopback."""
    found = []
    for line in trace.read_text(errors="replace").splitlines():
        if not any(call in line for call in ("connect(", "sendto(", "sendmsg(")):
            continue
        for address in _ADDRESS.findall(line):
            if not (address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")):
                found.append(line.strip()[:300])
    return found


def traced(args: list[str], trace: Path) -> list[str]:
    """``args`` under strace, following every thread and child."""
    calls = "trace=connect,sendto,sendmsg"
    return ["strace", "-f", "-qq", "-e", calls, "-o", str(trace), *args]


def run(args: list[str], env: dict[str, str], trace: Path) -> str:
    done = subprocess.run(
        traced([ENCLAVE, *args], trace), env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def work(home: Path, env: dict[str, str], traces: Path) -> None:
    """First start, ingestion and questions on every channel, then a stop."""
    run(["user", "alice", "--password", "alice-pass-123", "--group", "hr"], env, traces / "u.trace")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / "serve.log").open("ab")
    serve = subprocess.Popen(
        traced([ENCLAVE, "serve", "--port", str(port)], traces / "serve.trace"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: httpx.get(f"{url}/healthz", timeout=1).status_code == 200, 600)
        with httpx.Client(base_url=url, timeout=120) as browser:
            _ask_everywhere(browser, env, traces)
    finally:
        _stop(serve)


def _ask_everywhere(browser: httpx.Client, env: dict[str, str], traces: Path) -> None:
    page = browser.get("/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"username": "admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": csrf}
    assert browser.post("/login/", data=form).status_code == 302
    secret = (
        run(
            ["token", "create", "--user", "admin", "--name", "egress", "--scope", "admin"],
            env,
            traces / "token.trace",
        )
        .strip()
        .splitlines()[-1]
    )
    api = {"Authorization": f"Bearer {secret}"}
    collection = browser.post(
        "/api/v1/collections", json={"name": "HR", "groups": ["hr"]}, headers=api
    )
    documents = f"/api/v1/collections/{collection.json()['id']}/documents"
    created = browser.post(documents, json={"filename": "leave.md", "text": DOCUMENT}, headers=api)
    document = created.json()["document"]["id"]
    _wait(
        lambda: (
            browser.get(f"/api/v1/documents/{document}", headers=api).json()["status"] == "indexed"
        ),
        300,
    )
    # Beside the home: folder ingestion never reads anything inside Enclave's home.
    folder = Path(env["ENCLAVE_HOME"]).parent / "inbox"
    folder.mkdir()
    (folder / "parking.md").write_text("# Parking\n\nVisitors park on level minus two.\n")
    run(["ingest", str(folder), "--collection", "HR"], env, traces / "ingest.trace")
    answer = browser.post("/api/v1/ask", json={"question": QUESTION, "stream": False}, headers=api)
    assert "twenty-seven" in answer.json()["answer"], answer.text
    completion = {"model": "enclave", "messages": [{"role": "user", "content": QUESTION}]}
    assert browser.post("/v1/chat/completions", json=completion, headers=api).status_code == 200
    web = browser.post(
        "/chat/ask",
        json={"question": QUESTION},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
    )
    assert "event: done" in web.text, web.text[-1000:]
    assert "twenty-seven" in run(["ask", QUESTION, "--user", "alice"], env, traces / "ask.trace")


def _wait(ready: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if ready():
                return
        except (httpx.HTTPError, KeyError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not get there in time")
        time.sleep(0.5)


def _stop(traced_serve: subprocess.Popen[bytes]) -> None:
    """SIGTERM to ``enclave serve`` itself (strace's child), then wait for both."""
    children = Path(f"/proc/{traced_serve.pid}/task/{traced_serve.pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        os.kill(int(pid), signal.SIGTERM)
    try:
        traced_serve.wait(timeout=120)
    except subprocess.TimeoutExpired:
        traced_serve.kill()
        traced_serve.wait()


def main(out: Path) -> None:
    home = out.parent / "home"
    traces = out.parent / "traces"
    home.mkdir()
    traces.mkdir()
    sinkhole = Sinkhole()
    sinkhole.start()
    # The control: a name looked up here must reach the sinkhole, or it proves nothing.
    socket.getaddrinfo(CANARY, 443)
    # A fresh models directory: the first start exports the embedding model too.
    env = process_env(home, ENCLAVE_MODELS_DIR=str(home / "models"), ENCLAVE_TORCH_THREADS="2")
    error = ""
    try:
        work(home, env, traces)
    except Exception as exc:  # reported, so the test shows it with what was recorded
        error = f"{type(exc).__name__}: {exc}"
    report = {
        "error": error,
        "dns": sinkhole.queries,
        "connections": sinkhole.connections,
        "non_loopback": {t.name: non_loopback(t) for t in sorted(traces.glob("*.trace"))},
        "traced": sorted(t.name for t in traces.glob("*.trace")),
    }
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
