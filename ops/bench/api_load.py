"""API load benchmark: N simulated users for a bounded time against a live Enclave.

    python -m ops.bench.api_load [--clients 8] [--duration 20]
                                 [--mix search=5,ask=2,chat=1,collections=1,documents=1]
                                 [--standin] [--url URL --token TOKEN]
                                 [--out ops/bench/results/api_load.md]

    # 50 users asking (REST, /v1, the web chat), searching and uploading for 60 s:
    python -m ops.bench.api_load --clients 50 --duration 60 --standin \\
        --mix search=4,ask=2,chat=1,web=2,upload=1,documents=1 \\
        --out ops/bench/results/load_50_users.md

Without ``--url`` it builds the embedded setup in a scratch home, exactly as a
user would: ``enclave ingest`` a small generated corpus, ``enclave user`` (an
admin, so that it may upload) and ``enclave token create``, then ``enclave
serve`` on a free port (SQLite, embedded broker, Qdrant Edge, packaged MiniLM).
Answers are extractive, or with ``--standin`` come from the OpenAI-compatible
stand-in (``tests/standin``) as from a vLLM server. Each user is one connection
(and, for ``web``, one signed-in browser session) looping over the weighted mix
until the time is up: ``upload`` sends a new small file through the REST API
(then ingested by the worker meanwhile), ``web`` asks through the chat page's
streaming endpoint. The report gives requests/s, p50/p95 latency per request
kind, and errors split into server errors (5xx, a failed answer stream, a
dropped connection) and refusals (4xx). The users share the machine with the
server: on a small machine they take CPU from it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from ops.bench.load_users import (
    PASSWORD,
    QUESTIONS,
    TOPICS,
    USER,
    Kind,
    LoadSite,
    parse_mix,
    run_load,
)
from ops.bench.report import markdown_table, write_report
from tests.support.processes import terminate, wait_healthy

__all__ = ["LoadSite", "embedded_site", "main", "parse_mix", "run_load", "warm_up"]

REPO_ROOT = Path(__file__).resolve().parents[2]
ENCLAVE = str(Path(sys.executable).with_name("enclave"))
COLLECTION = "Handbook"


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
                kind.server_errors,
                kind.refused,
            ]
        )
    server_errors = sum(k.server_errors for k in kinds.values())
    refused = sum(k.refused for k in kinds.values())
    rows.append(
        [
            "all",
            len(everything) + server_errors + refused,
            len(everything) / seconds,
            _percentile(everything, 50),
            _percentile(everything, 95),
            server_errors,
            refused,
        ]
    )
    headers = ["request", "sent", "ok req/s", "p50 ms", "p95 ms", "server errors", "refused"]
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


def _prepare(docs: Path, env: dict[str, str]) -> str:
    """Ingest the corpus, create the (admin) user and its token; returns the token."""
    for topic, sentence in TOPICS.items():
        (docs / f"{topic}.md").write_text(f"# {topic.title()}\n\n{sentence}\n")
    _run(["ingest", str(docs), "--collection", COLLECTION, "--group", "staff"], env)
    _run(["user", USER, "--password", PASSWORD, "--group", "staff", "--admin"], env)
    scopes = ["--scope", "read,ask,ingest", "--rate-limit", "1000000"]
    created = _run(["token", "create", "--user", USER, "--name", "load", *scopes], env)
    return created.strip().splitlines()[-1]


@contextmanager
def embedded_site(threads: int, *, standin: bool = False) -> Iterator[LoadSite]:
    """A scratch home with a small corpus, an admin and its token, served by ``enclave serve``."""
    home = Path(tempfile.mkdtemp(prefix="enclave-api-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_")}
    env.update(
        ENCLAVE_HOME=str(home),
        ENCLAVE_TORCH_THREADS=str(threads),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        if standin:
            from tests.standin.process import start_standin, stop

            base_url, process = start_standin(model="standin-llm")
            stack.callback(stop, process)
            env["ENCLAVE_LLM_ENDPOINTS"] = f"{base_url}|standin-llm"
        # Outside the home: ingestion never reads files under ENCLAVE_HOME.
        docs = Path(tempfile.mkdtemp(prefix="enclave-api-load-docs-"))
        stack.callback(shutil.rmtree, docs, ignore_errors=True)
        token = _prepare(docs, env)
        url = f"http://127.0.0.1:{_free_port()}"
        log_path = home / "serve.log"
        log = stack.enter_context(log_path.open("ab"))
        serve = subprocess.Popen(
            [ENCLAVE, "serve", "--port", url.rsplit(":", 1)[1]],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(terminate, serve, timeout_s=30)
        _wait_healthy(url, serve)
        yield LoadSite(url, token, collection_id=_collection_id(url, token), log_path=log_path)


def _collection_id(url: str, token: str) -> int:
    """The id of the collection uploads go to (``COLLECTION``)."""
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{url}/api/v1/collections", headers=headers, timeout=60).json()
    return next(c["id"] for c in listed if c["name"] == COLLECTION)


def _wait_healthy(url: str, serve: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    failure = wait_healthy(f"{url}/healthz", serve, timeout_s=timeout_s)
    if failure == "exited":
        raise SystemExit("enclave serve exited during start-up")
    if failure is not None:
        raise SystemExit("enclave serve did not answer")


def warm_up(site: LoadSite) -> None:
    """One search and one answer first: model loading is not part of the figures."""
    headers = {"Authorization": f"Bearer {site.token}"}
    with httpx.Client(base_url=site.url, headers=headers, timeout=120) as client:
        client.post("/api/v1/search", json={"query": QUESTIONS[0]}).raise_for_status()
        client.post("/api/v1/ask", json={"question": QUESTIONS[0]}).raise_for_status()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops.bench.api_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=8, help="simulated users")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--mix", default="search=5,ask=2,chat=1,collections=1,documents=1")
    parser.add_argument("--standin", action="store_true", help="answers from the LLM stand-in")
    parser.add_argument("--url", help="an existing server (default: a scratch embedded one)")
    parser.add_argument("--token", help="a read,ask(,ingest) token for --url")
    parser.add_argument("--user", default=USER, help="web sign-in for --url (kind web)")
    parser.add_argument("--password", default=PASSWORD, help="its password")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the server")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ops/bench/results/api_load.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the load and write the markdown report."""
    args = _parse_args(argv)
    kinds = parse_mix(args.mix)
    if args.url and not args.token:
        raise SystemExit("--url needs --token")
    load_before = os.getloadavg()[0]

    def measure(site: LoadSite) -> float:
        warm_up(site)
        return run_load(site, kinds, args.clients, args.duration)

    if args.url:
        uploads = _collection_id(args.url, args.token) if "upload" in kinds else None
        site = LoadSite(args.url, args.token, args.user, args.password, uploads)
        seconds, target = measure(site), args.url
    else:
        with embedded_site(args.threads, standin=args.standin) as site:
            seconds, target = measure(site), "embedded setup (scratch home)"
    answers = "answers from the OpenAI-compatible stand-in" if args.standin else "extractive"
    report = "\n".join(
        [
            "# API load",
            "",
            f"{args.clients} simulated users for {seconds:.1f} s against {target}; "
            f"mix {args.mix}; {answers}.",
            f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, "
            f"Python {platform.python_version()}; users and server share it; "
            f"load average before the run {load_before:.1f}.",
            "",
            _table(kinds, seconds),
            "",
        ]
    )
    write_report(args.out, report)


if __name__ == "__main__":
    main()
