"""A real ``enclave serve`` answering with stand-in vLLM replicas, and a signed-in HTTP client."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.standin.process import standin_stats, start_standin, stop
from tests.support import chat
from tests.support.chat import iter_sse
from tests.support.server import ServeProcess, cli, process_env

MAX_MODEL_LEN = 1024
USER, PASSWORD = "alice", "alice-test-password-1"
LEAVE = (
    "Every full-time employee is entitled to twenty-seven days of paid annual leave per "
    "calendar year. Unused days may be carried over until March."
)
TRAVEL = (
    "Clause {n} of the travel policy: travel costs above the monthly limit need written "
    "approval from the budget owner before booking. Hotels are booked through the travel "
    "desk, trains are preferred over flights for trips under four hours, and receipts are "
    "uploaded within ten days. Exceptions to clause {n} are decided by the finance "
    "director, who records the reason, the amount and the approver in the expense system "
    "so that auditors can trace every exception back to its approval. "
)


def write_corpus(folder: Path) -> list[Path]:
    """A leave policy and a long travel policy (many passages of ~200 tokens each)."""
    folder.mkdir(parents=True, exist_ok=True)
    leave = folder / "leave.md"
    leave.write_text(f"# Annual leave\n\n{LEAVE}\n")
    travel = folder / "travel.md"
    travel.write_text(
        "# Travel policy\n\n" + "\n\n".join(TRAVEL.format(n=n) * 2 for n in range(1, 13))
    )
    return [leave, travel]


@dataclass
class Replica:
    """One stand-in process and its URL."""

    base_url: str
    process: subprocess.Popen[str] | None
    port: int = field(init=False)

    def __post_init__(self) -> None:
        self.port = int(self.base_url.rsplit(":", 1)[1].split("/")[0])

    @property
    def root(self) -> str:
        return self.base_url.removesuffix("/v1")

    def stats(self) -> dict[str, int]:
        return standin_stats(self.root)

    def configure(self, **options: object) -> None:
        httpx.post(f"{self.root}/standin/config", json=options, timeout=5).raise_for_status()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        stop(self.process)
        self.process = None


@dataclass
class Served:
    """The server, its replicas and a signed-in client."""

    serve: ServeProcess
    replicas: list[Replica]
    client: httpx.Client
    home: Path

    def total(self, stat: str) -> int:
        return sum(r.stats()[stat] for r in self.replicas if r.process is not None)

    def ask(
        self, question: str, headers: dict[str, str] | None = None, **fields: object
    ) -> list[tuple[str, dict]]:
        """POST /chat/ask and read the whole SSE stream as (event, data) pairs."""
        body = {"question": question, **fields}
        with self.client.stream("POST", "/chat/ask", json=body, headers=headers) as r:
            assert r.status_code == 200, r.read()
            return parse_sse(r.iter_text())


def parse_sse(chunks: Iterator[str]) -> list[tuple[str, dict]]:
    """All events of a finished stream."""
    return list(iter_sse(chunks))


def login(url: str) -> httpx.Client:
    """The test user's signed-in client (session cookie and CSRF header)."""
    return chat.login(url, USER, PASSWORD)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """Two stand-in replicas of ``standin-llm`` (max_model_len 1024) behind ``enclave serve``."""
    home = tmp_path_factory.mktemp("answers-home")
    docs = tmp_path_factory.mktemp("answers-docs")  # ingestion never reads under the home
    replicas = [
        Replica(*start_standin(model="standin-llm", max_model_len=MAX_MODEL_LEN)) for _ in range(2)
    ]
    endpoints = ",".join(f"{r.base_url}|standin-llm" for r in replicas)
    env = process_env(
        home,
        ENCLAVE_LLM_ENDPOINTS=endpoints,
        ENCLAVE_LLM_CONNECT_TIMEOUT_S="1",
        ENCLAVE_LLM_FIRST_TOKEN_TIMEOUT_S="5",
        ENCLAVE_LLM_REQUEST_TIMEOUT_S="20",
        ENCLAVE_LLM_REPLICA_COOLOFF_S="2",
        ENCLAVE_SEARCH_LIMIT="8",
    )
    paths = [str(path) for path in write_corpus(docs)]
    cli(["ingest", *paths, "--collection", "Policies", "--group", "staff"], env)
    cli(["user", USER, "--password", PASSWORD, "--group", "staff"], env)
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    client = login(serve.url)
    try:
        yield Served(serve, replicas, client, home)
    finally:
        client.close()
        serve.stop()
        for replica in replicas:
            if replica.process is not None:
                stop(replica.process)
