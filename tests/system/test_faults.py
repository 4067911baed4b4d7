"""Faults against real processes on the embedded setup: a full disk, a model server killed.

``enclave serve`` answers through two stand-in replicas of one model (separate
processes, each writing a word every half second).

- Disk full: a 1 MB tmpfs is mounted over ``$ENCLAVE_HOME/uploads`` (root only;
  CI runs as root, elsewhere the test skips) and a 1.6 MB file is uploaded through
  the REST API and the admin console. The uploader is told the disk is full (507,
  ``storage_full``); no file and no document row is left; once there is room again
  the same server takes the upload and indexes it.
- A replica killed (SIGKILL) while it streams an answer: the employee keeps what
  was streamed and gets a clear end (an ``error`` event with a code), the
  conversation records the question and exactly that text with the error code,
  and the next question is answered by the other replica, without a restart.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.standin.process import standin_stats, start_standin, stop
from tests.support.chat import iter_sse
from tests.support.environment import IN_CI
from tests.support.server import process_env
from tests.support.site import ADMIN, Site, prepare_users, running_site, web_ask

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

STANDIN_MODEL = "standin-llm"
POLICY = (
    "# Cafeteria\n\nThe staff cafeteria serves lunch from twelve to two on every working day. "
    "Breakfast is served from eight to ten in the same room.\n"
)
QUESTION = "When does the staff cafeteria serve lunch?"
ANSWER_START = "The staff cafeteria serves lunch from twelve to two on every working day."


@dataclass
class Faults:
    site: Site
    home: Path
    collection: int
    replicas: list[tuple[str, subprocess.Popen[str]]]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    home = tmp_path_factory.mktemp("faults")
    policy = home / "cafeteria.md"
    policy.write_text(POLICY)
    # A word every 0.5 s: an answer streams for seconds, long enough to kill its server.
    replicas = [start_standin(model=STANDIN_MODEL, delay_ms=500) for _ in range(2)]
    env = process_env(
        home,
        ENCLAVE_LLM_ENDPOINTS=",".join(f"{url}|{STANDIN_MODEL}" for url, _ in replicas),
        ENCLAVE_LLM_CONNECT_TIMEOUT_S="1",
        ENCLAVE_LLM_HEALTH_INTERVAL_S="0.5",
        ENCLAVE_LLM_REPLICA_COOLOFF_S="60",
    )
    try:
        scopes = {"alice": "read,ask", ADMIN: "admin,ingest,read"}
        tokens = prepare_users(env, {"alice": ("staff",)}, scopes)
        with running_site(env, home, tokens) as site:
            collection = site.create_collection("Policies", ["staff"])
            ids = site.upload_all(collection, [policy])
            assert [r["status"] for r in site.wait_documents(list(ids.values())).values()] == [
                "indexed"
            ]
            yield Faults(site, home, collection, replicas)
    finally:
        for _, process in replicas:
            stop(process)


# --- a full disk -----------------------------------------------------------------------


@pytest.fixture
def full_uploads(faults: Faults) -> Iterator[Path]:
    """A 1 MB tmpfs over the uploads folder for the test's duration."""
    if os.geteuid() != 0:
        reason = "needs root: mounts a small tmpfs over the uploads folder"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    uploads = faults.home / "uploads"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(uploads)], check=True)
    try:
        yield uploads
    finally:
        subprocess.run(["umount", str(uploads)], check=True)


def _filenames(site: Site) -> list[str]:
    listed = site.api(ADMIN).get("/api/v1/documents", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    return sorted(row["filename"] for row in listed.json()["results"])


def test_an_upload_that_fills_the_disk_is_refused_cleanly(
    faults: Faults, full_uploads: Path, tmp_path: Path
) -> None:
    minutes = tmp_path / "council-minutes.txt"
    minutes.write_text("Quarterly minutes of the works council, item by item. " * 30_000)
    assert minutes.stat().st_size > 1_500_000

    reply = faults.site.upload(faults.collection, minutes)

    assert reply.status_code == 507, reply.text
    assert reply.json() == {
        "code": "storage_full",
        "message": "council-minutes.txt could not be stored: the server's disk is full. "
        "Ask an administrator to free space, then upload it again.",
    }
    assert list(full_uploads.iterdir()) == []
    assert _filenames(faults.site) == ["cafeteria.md"]

    # The admin console says the same, and leaves nothing either.
    console = faults.site.web(ADMIN)
    with minutes.open("rb") as handle:
        page = console.post(
            f"/console/collections/{faults.collection}/upload",
            files={"files": (minutes.name, handle, "text/plain")},
        )
    assert page.status_code == 200
    assert "council-minutes.txt could not be stored: the server&#x27;s disk is full." in page.text
    assert list(full_uploads.iterdir()) == []
    assert _filenames(faults.site) == ["cafeteria.md"]


def test_with_room_again_the_same_server_takes_the_upload(faults: Faults, tmp_path: Path) -> None:
    notes = tmp_path / "council-notes.md"
    notes.write_text("# Works council\n\nThe works council meets on the last Thursday.\n")

    reply = faults.site.upload(faults.collection, notes)

    assert reply.status_code == 201, reply.text
    document_id = reply.json()["document"]["id"]
    assert faults.site.wait_documents([document_id])[document_id]["status"] == "indexed"
    assert _filenames(faults.site) == ["cafeteria.md", "council-notes.md"]


# --- a model server killed mid-answer ----------------------------------------------------


def test_a_replica_killed_mid_answer(faults: Faults) -> None:
    web = faults.site.web("alice")
    asked_before = [standin_stats(url)["chat_requests"] for url, _ in faults.replicas]
    events: list[tuple[str, dict]] = []
    with web.stream("POST", "/chat/ask", json={"question": QUESTION}) as response:
        assert response.status_code == 200
        stream = iter_sse(response.iter_text())
        for name, data in stream:
            events.append((name, data))
            if name == "delta":
                break
        asked = [standin_stats(url)["chat_requests"] for url, _ in faults.replicas]
        serving = [i for i, (a, b) in enumerate(zip(asked, asked_before, strict=True)) if a > b]
        assert len(serving) == 1, (asked_before, asked)
        killed = faults.replicas[serving[0]][1]
        killed.kill()  # SIGKILL: no goodbye to the open stream
        killed.wait()
        events += list(stream)

    names = [name for name, _ in events]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert names[0] == "sources" and names[-1] == "error", names
    assert streamed and ANSWER_START.startswith(streamed)
    assert events[-1][1]["code"] and events[-1][1]["message"]
    # The record keeps the question and exactly what the employee read, with the error.
    conversation = faults.site.api("alice").get(
        f"/api/v1/conversations/{events[0][1]['conversation_id']}"
    )
    assert conversation.status_code == 200, conversation.text
    kept = [(m["role"], m["text"], m["error_code"]) for m in conversation.json()["messages"]]
    assert kept == [("user", QUESTION, ""), ("assistant", streamed, events[-1][1]["code"])]

    # The other replica answers the next question; nothing was restarted.
    again = web_ask(web, QUESTION)
    assert again[-1][0] == "done", again[-1]
    assert again[-1][1]["text"].startswith(ANSWER_START)
