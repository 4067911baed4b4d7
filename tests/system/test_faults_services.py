"""Faults in the servers Enclave runs on: Redis restarted mid-batch, PostgreSQL away for 10 s.

The module starts its own Redis and PostgreSQL (``ops/services/services.sh`` on free
ports, in a scratch folder) and ``enclave serve`` on them, with its worker in the
same process, so that restarting them disturbs nothing else. Stage 2 of ``make
test`` runs it (``-m services``); elsewhere it skips.

- Redis is stopped (``shutdown nosave``: every queued message is lost) while a batch
  of uploads is being ingested, uploads go on while it is down, and it comes back
  empty. Every document ends indexed, once: the database row is the source of
  truth, the reconciler requeues what the broker lost, ingestion is idempotent.
- PostgreSQL is stopped for 10 s while an employee and a script keep asking. Each
  request gets a 503 with ``{code: "unavailable", message}`` (a page in the
  browser), never a 500; once PostgreSQL is back the same server answers again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.environment import REQUIRE_SERVICES
from tests.support.server import free_port, process_env
from tests.support.site import ADMIN, Site, prepare_users, running_site

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not REQUIRE_SERVICES,
        reason="stage 2 only (make test-services; ENCLAVE_REQUIRE_SERVICES=1 to run it alone)",
    ),
]

SCRIPT = Path(__file__).resolve().parents[2] / "ops" / "services" / "services.sh"
TOPICS = (
    "archive", "badges", "canteen", "desks", "expenses", "fleet",
    "gym", "holidays", "insurance", "keys", "lockers", "mail",
)  # fmt: skip
OUTAGE_S = 10


@dataclass
class Services:
    """Redis and PostgreSQL of this module, in their own folder and on their own ports."""

    folder: Path
    redis_port: int
    pg_port: int

    @property
    def database_url(self) -> str:
        return f"postgresql://enclave:enclave@127.0.0.1:{self.pg_port}/enclave"

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def run(self, *args: str) -> None:
        """``services.sh ARGS`` for this module's servers."""
        env = {
            **os.environ,
            "ENCLAVE_SERVICES_DIR": str(self.folder),
            "ENCLAVE_REDIS_PORT": str(self.redis_port),
            "ENCLAVE_PG_PORT": str(self.pg_port),
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    # Under /tmp with mode 755: as root, PostgreSQL runs as `postgres` and must reach it.
    folder = Path(tempfile.mkdtemp(prefix="enclave-faults-"))
    folder.chmod(0o755)
    servers = Services(folder, free_port(), free_port())
    try:
        servers.run("start")
        yield servers
    finally:
        servers.run("stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def site(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("services-faults")
    env = process_env(
        home,
        ENCLAVE_DATABASE_URL=services.database_url,
        ENCLAVE_BROKER_URL=services.broker_url,
        # What the broker lost is requeued after 20 s without progress (checked every 2 s).
        ENCLAVE_STALLED_AFTER_S="20",
        ENCLAVE_RECONCILE_INTERVAL_S="2",
        ENCLAVE_WORKER_CONCURRENCY="1",
    )
    scopes = {"alice": "read,ask", ADMIN: "admin,ingest,read"}
    tokens = prepare_users(env, {"alice": ("staff",)}, scopes)
    with running_site(env, home, tokens) as running:
        yield running


def _policy(folder: Path, topic: str, *, appendix_words: int = 0) -> Path:
    path = folder / f"{topic}.md"
    sentence = "Appendix on filing, retention and review of records."
    words = " ".join([sentence] * (appendix_words // 8))
    path.write_text(
        f"# {topic.title()}\n\nThe {topic} policy is kept by the office team under reference "
        f"code K{topic.upper()}Z; ask them for the {topic} form.\n\n## Appendix\n\n{words}\n"
    )
    return path


def _started(site: Site, ids: list[int]) -> bool:
    rows = site.documents(ids).values()
    return any(row["status"] != "queued" for row in rows)


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.2)


def test_redis_restarted_mid_batch(site: Site, services: Services, tmp_path: Path) -> None:
    # The first document is long: while the worker (one at a time) embeds it, the next
    # five wait in Redis, and the restart loses them.
    files = [_policy(tmp_path, TOPICS[0], appendix_words=20_000)]
    files += [_policy(tmp_path, topic) for topic in TOPICS[1:]]
    collection = site.create_collection("Batch", ["staff"])

    ids = site.upload_all(collection, files[:6])
    _wait(lambda: _started(site, list(ids.values())), 120, "the worker starts on the batch")
    rows = site.documents(list(ids.values())).values()
    statuses = {row["filename"]: row["status"] for row in rows}
    services.run("stop", "redis")  # shutdown nosave: the queued messages are gone
    ids |= site.upload_all(collection, files[6:9])  # uploads go on meanwhile
    services.run("start", "redis")
    ids |= site.upload_all(collection, files[9:])

    assert sorted(name for name, status in statuses.items() if status == "queued") == sorted(
        f.name for f in files[1:6]
    )
    rows = site.wait_documents(list(ids.values()), timeout_s=300)
    assert {row["filename"]: row["status"] for row in rows.values()} == {
        f.name: "indexed" for f in files
    }
    listed = site.api(ADMIN).get("/api/v1/documents", params={"collection_id": collection})
    assert Counter(row["filename"] for row in listed.json()["results"]) == Counter(
        f.name for f in files
    )
    # Each document searchable, its passage exactly once.
    alice = site.api("alice")
    for topic in TOPICS:
        found = alice.post("/api/v1/search", json={"query": f"K{topic.upper()}Z", "limit": 20})
        hits = [p for p in found.json()["passages"] if f"K{topic.upper()}Z" in p["text"]]
        assert [p["document_id"] for p in hits] == [ids[f"{topic}.md"]], topic


def _requests(site: Site) -> dict[str, Callable[[], httpx.Response]]:
    """One request of each kind an employee or a script sends."""
    api, web = site.api("alice", timeout_s=60), site.web("alice")
    question = {"question": "Which reference code does the archive policy have?"}
    chat = {"model": "enclave", "messages": [{"role": "user", "content": question["question"]}]}
    return {
        "search": lambda: api.post("/api/v1/search", json={"query": "archive form"}),
        "ask": lambda: api.post("/api/v1/ask", json=question),
        "documents": lambda: api.get("/api/v1/documents"),
        "openai": lambda: api.post("/v1/chat/completions", json=chat),
        "chat page": lambda: web.get("/"),
        "web ask": lambda: web.post("/chat/ask", json=question),
    }


def test_postgresql_away_for_ten_seconds(site: Site, services: Services) -> None:
    requests = _requests(site)
    assert {kind: send().status_code for kind, send in requests.items()} == dict.fromkeys(
        requests, 200
    )
    server_pid = site.serve.process.pid

    services.run("stop", "postgresql")
    seen: dict[str, set[int]] = {kind: set() for kind in requests}
    bodies: list[str] = []
    ends = time.monotonic() + OUTAGE_S
    while time.monotonic() < ends:
        for kind, send in requests.items():
            reply = send()
            seen[kind].add(reply.status_code)
            if reply.status_code == 503:
                bodies.append(reply.text if kind == "chat page" else str(reply.json()))
    services.run("start", "postgresql")

    assert seen == {kind: {503} for kind in requests}
    message = "Enclave cannot reach its database at the moment. Please try again shortly."
    assert {b for b in bodies if not b.startswith("<")} == {
        str({"code": "unavailable", "message": message})
    }
    assert all(message in b for b in bodies)
    # Back without a restart: the same process answers every kind again.
    _wait(lambda: all(send().status_code == 200 for send in requests.values()), 60, "recovery")
    assert site.serve.process.pid == server_pid and site.serve.process.poll() is None
    answer = requests["ask"]().json()
    assert "KARCHIVEZ" in answer["answer"]
