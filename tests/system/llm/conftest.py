"""A real llama.cpp ``llama-server`` with SmolLM2-135M-Instruct for the ``llm`` tests.

The server starts with sampling defaults unlike Enclave's (temperature 0.8, repeat
penalty 1.3), as a model file's own defaults can be: the tests then see that every
request Enclave sends overrides them. Without a prompt cache, every greedy answer is
the same whatever ran before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.chat import iter_sse, login
from tests.support.llama_server import MODEL_ALIAS, LlamaServer, llama_files
from tests.support.server import ServeProcess, cli, process_env, token_create

# Unlike Enclave's sampling, as a model file's own defaults can be. No prompt cache:
# a prompt evaluated after a cached prefix gets slightly different logits, and a greedy
# answer then depends on which test ran before; without it each answer is fixed.
SERVER_OPTIONS = ("--temp", "0.8", "--repeat-penalty", "1.3", "--no-cache-prompt")


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One llama-server for the module, stopped at its end (restartable on its port)."""
    binary, model = llama_files()
    log = tmp_path_factory.mktemp("llama") / "llama-server.log"
    server = LlamaServer(binary, model, log, options=SERVER_OPTIONS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


USER, PASSWORD = "alice", "alice-test-password-1"
# Six short policies: a question finds about six passages, a typical RAG prompt.
POLICIES = {
    "leave.md": "# Annual leave\n\nEvery full-time employee is entitled to twenty-seven days "
    "of paid annual leave per calendar year. Unused days may be carried over until March.",
    "ferias.md": "# Férias\n\nCada funcionário em tempo integral tem direito a vinte e sete "
    "dias de férias remuneradas por ano civil. Os dias não usados podem ser usados até março.",
    "travel.md": "# Travel\n\nTravel costs above the monthly limit need written approval from "
    "the budget owner before booking. Trains are preferred over flights for trips under four "
    "hours.",
    "security.md": "# Security badges\n\nLost security badges must be reported to the "
    "facilities desk within twenty-four hours. Visitors are escorted at all times.",
    "expenses.md": "# Expenses\n\nExpense reports are filed within ten days of the purchase "
    "with the receipt attached. The finance team reimburses them with the next salary.",
    "parking.md": "# Parking\n\nParking spaces are assigned by the facilities team each "
    "quarter. Electric vehicles may use the charging bays for four hours.",
}


@dataclass
class Site:
    """``enclave serve`` answering through the llama-server, a signed-in chat and a token."""

    serve: ServeProcess
    llama: LlamaServer
    chat: httpx.Client
    token: str

    def ask(self, question: str, language: str = "en") -> list[tuple[str, dict]]:
        """POST /chat/ask in the UI ``language``; the whole SSE stream as (event, data)."""
        headers = {"Accept-Language": language}
        body = {"question": question}
        with self.chat.stream("POST", "/chat/ask", json=body, headers=headers) as response:
            assert response.status_code == 200, response.read()
            return list(iter_sse(response.iter_text()))

    def api(self) -> httpx.Client:
        """A client of the REST and OpenAI-compatible APIs with alice's token."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.serve.url, headers=headers, timeout=600)


@pytest.fixture(scope="module")
def site(llama: LlamaServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The six policies indexed, alice signed in, answers from the module's llama-server."""
    home = tmp_path_factory.mktemp("llm-home")
    docs = tmp_path_factory.mktemp("llm-docs")  # outside the home, which ingestion never reads
    for name, text in POLICIES.items():
        (docs / name).write_text(text + "\n")
    env = process_env(
        home,
        ENCLAVE_LLM_ENDPOINTS=f"{llama.base_url}|{MODEL_ALIAS}",
        # context_tokens stays at 8192: the served 2048 must win by itself.
        ENCLAVE_LLM_MAX_ANSWER_TOKENS="128",
        ENCLAVE_LLM_CONNECT_TIMEOUT_S="1",
        ENCLAVE_LLM_FIRST_TOKEN_TIMEOUT_S="120",
        ENCLAVE_LLM_REQUEST_TIMEOUT_S="300",
        ENCLAVE_LLM_REPLICA_COOLOFF_S="1",
        ENCLAVE_LLM_HEALTH_INTERVAL_S="0.5",
        ENCLAVE_SEARCH_LIMIT="6",
    )
    cli(["ingest", str(docs), "--collection", "Policies", "--group", "staff"], env)
    cli(["user", USER, "--password", PASSWORD, "--group", "staff"], env)
    token = token_create(env, user=USER, name="llm-tests")
    serve = ServeProcess(env, home / "serve.log")
    serve.start()
    chat = login(serve.url, USER, PASSWORD)
    try:
        yield Site(serve, llama, chat, token)
    finally:
        chat.close()
        serve.stop()
