"""API load benchmark: N concurrent clients for a bounded time against a live Enclave.

    python -m ops.bench.api_load [--clients 8] [--duration 20]
                                 [--mix search=5,ask=2,chat=1,collections=1,documents=1]
                                 [--url URL --token TOKEN]
                                 [--out ops/bench/results/api_load.md]

Without ``--url`` it builds the embedded setup in a scratch home, exactly as a
user would: ``enclave ingest`` a small generated corpus, ``enclave user`` and
``enclave token create``, then ``enclave serve`` on a free port (SQLite,
embedded broker, Qdrant Edge, packaged MiniLM, extractive answers). Each client
is one connection looping over the weighted mix of requests until the time is
up; the report gives requests/s, p50/p95 latency and errors per request kind.
The clients share the machine with the server: on a small machine they take
CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ops.bench.report import markdown_table, write_report

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
ENCLAVE = str(Path(sys.executable).with_name("enclave"))
QUESTIONS = [
    "How many days of annual leave do employees get?",
    "Where can I park my bicycle?",
    "What happens when a security badge is lost?",
    "Who approves expense claims?",
    "How do I request a new laptop?",
    "When are salaries paid?",
]
TOPICS = {
    "leave": "Every full-time employee is entitled to twenty-seven days of paid annual leave.",
    "parking": "Bicycle parking is available in the basement of the Lisbon office.",
    "badges": "Lost security badges must be reported to the facilities desk within a day.",
    "expenses": "Expense claims are approved by the budget owner within five working days.",
    "laptops": "New laptops are requested through the IT portal and arrive within a week.",
    "payroll": "Salaries are paid on the twenty-fifth day of each month.",
}


@dataclass
class Kind:
    """One kind of request in the mix, with what it measured."""

    name: str
    weight: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


def _request(kind: str, question: str) -> tuple[str, str, dict | None]:
    """Method, path and JSON body of one request of ``kind``."""
    if kind == "search":
        return "POST", "/api/v1/search", {"query": question, "limit": 6}
    if kind == "ask":
        return "POST", "/api/v1/ask", {"question": question}
    if kind == "chat":
        messages = [{"role": "user", "content": question}]
        return "POST", "/v1/chat/completions", {"model": "enclave", "messages": messages}
    if kind == "collections":
        return "GET", "/api/v1/collections", None
    if kind == "documents":
        return "GET", "/api/v1/documents", None
    raise ValueError(f"unknown request kind: {kind}")


def _parse_mix(raw: str) -> dict[str, Kind]:
    kinds = {}
    for part in raw.split(","):
        name, _, weight = part.partition("=")
        _request(name.strip(), "")  # fails early on an unknown kind
        kinds[name.strip()] = Kind(name=name.strip(), weight=int(weight or 1))
    return kinds


async def _client(
    number: int, *, url: str, token: str, kinds: dict[str, Kind], deadline: float
) -> None:
    plan = [k for k in kinds.values() for _ in range(k.weight)]
    rng = random.Random(number)
    rng.shuffle(plan)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for kind in itertools.cycle(plan):
            if time.monotonic() >= deadline:
                return
            method, path, body = _request(kind.name, rng.choice(QUESTIONS))
            started = time.perf_counter()
            try:
                response = await client.request(method, path, json=body)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            if ok:
                kind.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                kind.errors += 1


async def _load(url: str, token: str, kinds: dict[str, Kind], clients: int, duration: float):
    deadline = time.monotonic() + duration
    started = time.monotonic()
    await asyncio.gather(
        *(_client(n, url=url, token=token, kinds=kinds, deadline=deadline) for n in range(clients))
    )
    return time.monotonic() - started


def _percentile(values: list[float], q: int) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _table(kinds: dict[str, Kind], seconds: float) -> str:
    rows = []
    everything: list[float] = []
    for kind in kinds.values():
        everything += kind.latencies_ms
        done = len(kind.latencies_ms)
        rows.append(
            [
                kind.name,
                done + kind.errors,
                done / seconds,
                _percentile(kind.latencies_ms, 50),
                _percentile(kind.latencies_ms, 95),
                kind.errors,
            ]
        )
    errors = sum(k.errors for k in kinds.values())
    rows.append(
        [
            "all",
            len(everything) + errors,
            len(everything) / seconds,
            _percentile(everything, 50),
            _percentile(everything, 95),
            errors,
        ]
    )
    headers = ["request", "sent", "ok req/s", "p50 ms", "p95 ms", "errors"]
    return markdown_table(headers, rows)


# --- the embedded setup ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [ENCLAVE, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"enclave {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def embedded_site(threads: int) -> Iterator[tuple[str, str]]:
    """A scratch home with a small corpus, a user and a token, served by ``enclave serve``."""
    home = Path(tempfile.mkdtemp(prefix="enclave-api-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_")}
    env.update(
        ENCLAVE_HOME=str(home),
        ENCLAVE_TORCH_THREADS=str(threads),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    # Outside the home: ingestion never reads files under ENCLAVE_HOME.
    docs = Path(tempfile.mkdtemp(prefix="enclave-api-load-docs-")) / "docs"
    docs.mkdir()
    for topic, sentence in TOPICS.items():
        (docs / f"{topic}.md").write_text(f"# {topic.title()}\n\n{sentence}\n")
    _run(["ingest", str(docs), "--collection", "Handbook", "--group", "staff"], env)
    _run(["user", "bench", "--password", "bench-pass-123", "--group", "staff"], env)
    created = _run(
        [
            "token",
            "create",
            "--user",
            "bench",
            "--name",
            "load",
            "--scope",
            "read,ask",
            "--rate-limit",
            "1000000",
        ],
        env,
    )
    token = created.strip().splitlines()[-1]
    port = _free_port()
    log = (home / "serve.log").open("ab")
    serve = subprocess.Popen(
        [ENCLAVE, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, serve)
        yield url, token
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_healthy(url: str, serve: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit("enclave serve exited during start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("enclave serve did not answer")


def _warm_up(url: str, token: str) -> None:
    """One search and one answer first: model loading is not part of the figures."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        client.post("/api/v1/search", json={"query": QUESTIONS[0]}).raise_for_status()
        client.post("/api/v1/ask", json={"question": QUESTIONS[0]}).raise_for_status()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.api_load", description=__doc__)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--mix", default="search=5,ask=2,chat=1,collections=1,documents=1")
    parser.add_argument("--url", help="an existing server (default: a scratch embedded one)")
    parser.add_argument("--token", help="a read,ask token for --url")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the server")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/api_load.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the load and write the markdown report."""
    args = _parse_args(argv)
    kinds = _parse_mix(args.mix)
    if args.url and not args.token:
        raise SystemExit("--url needs --token")
    load_before = os.getloadavg()[0]

    def measure(url: str, token: str) -> float:
        _warm_up(url, token)
        return asyncio.run(_load(url, token, kinds, args.clients, args.duration))

    if args.url:
        seconds, target = measure(args.url, args.token), args.url
    else:
        with embedded_site(args.threads) as (url, token):
            seconds, target = measure(url, token), "embedded setup (scratch home)"
    report = "\n".join(
        [
            "# API load",
            "",
            f"{args.clients} concurrent clients for {seconds:.1f} s against {target}; "
            f"mix {args.mix}; extractive answers.",
            f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}; clients and server share it; "
            f"load average before the run {load_before:.1f}.",
            "",
            _table(kinds, seconds),
            "",
        ]
    )
    write_report(args.out, report)


if __name__ == "__main__":
    main()
