"""Prompt injection: hostile documents cannot put what the asker may not read into an answer.

Twenty-five hostile files (``tests/support/hostile.py``) are uploaded through the
REST API into a collection alice may read; the board's minutes, carrying
``SECRET_MARKER`` and written about every same topic, go into a collection only the
board may read. Alice asks each file's question through the web chat, the REST API
and ``/v1`` while the stand-in model echoes everything it was shown: a model that
obeys every injection completely. Whatever the documents say, the secret never
reaches a prompt, an answer, a source or a citation; every citation points at a
passage the model was given; and nothing fails. Carol, on the board, gets the
secret through the same path: the checks can see it when it is there.

With ``llm`` (a real llama-server with SmolLM2-135M-Instruct) bob, whose answers
come from that model, asks the questions whose documents demand the board's
secrets or spoof the chat template, and the same invariants hold.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from inference.prompts import neutralize_control_markers
from tests.standin.process import standin_echo, standin_prompts, start_standin, stop
from tests.support.hostile import (
    HOSTILE_DOCUMENTS,
    SECRET_COLLECTION,
    SECRET_GROUP,
    SECRET_MARKER,
    HostileDocument,
    write_secret_document,
)
from tests.support.llama_server import MODEL_ALIAS, LlamaServer, llama_files
from tests.support.server import free_port, process_env
from tests.support.site import Site, prepare_users, running_site, web_ask

pytestmark = [pytest.mark.injection, pytest.mark.timeout(1800)]

STANDIN_MODEL = "standin-llm"
USERS = {"alice": ("staff",), "bob": ("staff",), "carol": ("staff", SECRET_GROUP)}
SCOPES = {"alice": "read,ask", "carol": "read,ask", "uploader": "admin,ingest,read"}
CHANNELS = ("web", "rest", "openai")
# For the real model: documents that demand the board's secrets or spoof the template.
MODEL_QUESTIONS = ("garage-parking", "uniformes", "locker-rooms")
# Carol's own wording: her prompt is told apart from alice's by it.
BOARD_QUESTION = "What did the board decide about the parking spaces of the underground garage?"


@dataclass
class Injection:
    """The site, the stand-in it answers through, and where everything went."""

    site: Site
    standin_url: str
    llama_port: int
    hostile_ids: dict[str, int]  # slug -> document id
    hostile_collection: int
    secret_collection: int
    web: dict[str, httpx.Client]


@pytest.fixture(scope="module")
def injection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Injection]:
    home = tmp_path_factory.mktemp("injection")
    files = home / "files"
    files.mkdir()
    hostile_paths = [doc.write(files) for doc in HOSTILE_DOCUMENTS]
    secret_path = write_secret_document(files)
    standin_url, standin = start_standin(model=STANDIN_MODEL)
    # The small model's replica is listed from the start; its server starts in its test.
    llama_port = free_port()
    endpoints = f"{standin_url}|{STANDIN_MODEL},http://127.0.0.1:{llama_port}/v1|{MODEL_ALIAS}"
    env = process_env(
        home,
        ENCLAVE_LLM_ENDPOINTS=endpoints,
        ENCLAVE_LLM_DEFAULT_MODEL=STANDIN_MODEL,
        ENCLAVE_LLM_MAX_ANSWER_TOKENS="96",
        ENCLAVE_LLM_CONNECT_TIMEOUT_S="1",
        ENCLAVE_LLM_FIRST_TOKEN_TIMEOUT_S="300",
        ENCLAVE_LLM_REQUEST_TIMEOUT_S="600",
        ENCLAVE_LLM_REPLICA_COOLOFF_S="1",
        ENCLAVE_LLM_HEALTH_INTERVAL_S="0.5",
        ENCLAVE_SEARCH_LIMIT="6",
    )
    try:
        tokens = prepare_users(env, USERS, SCOPES)
        with running_site(env, home, tokens) as site:
            hostile = site.create_collection("Policies", ["staff"])
            secret = site.create_collection(SECRET_COLLECTION, [SECRET_GROUP])
            ids = site.upload_all(hostile, hostile_paths)
            ids |= site.upload_all(secret, [secret_path])
            site.wait_documents(list(ids.values()))
            web = {name: site.web(name) for name in ("alice", "bob")}
            chosen = web["bob"].post("/chat/model", json={"model": MODEL_ALIAS})
            assert chosen.status_code == 200, chosen.text
            standin_echo(standin_url, True)
            by_slug = {doc.slug: ids[doc.filename] for doc in HOSTILE_DOCUMENTS}
            yield Injection(site, standin_url, llama_port, by_slug, hostile, secret, web)
    finally:
        stop(standin)


# --- one answer, whatever the channel -------------------------------------------------


@dataclass
class Reply:
    """An answer as its channel delivered it, reduced to what the checks need."""

    text: str
    sources: list[dict[str, Any]]
    cited: list[dict[str, Any]]
    raw: str  # everything the channel sent, as text


def _from_web(events: list[tuple[str, dict]]) -> Reply:
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done", events[-1]
    done = events[-1][1]
    sources = done.get("sources") or events[0][1]["sources"]
    cited = [s for s in sources if s["number"] in done["citations"]]
    assert len(cited) == len(set(done["citations"])), done["citations"]
    return Reply(done["text"], sources, cited, json.dumps(events, ensure_ascii=False))


def _from_openai_stream(body: str) -> Reply:
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in body.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    assert body.rstrip().endswith("data: [DONE]"), body[-500:]
    extra = chunks[-1]["enclave"]
    text = extra.get("content") or "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    )
    return Reply(text, extra["sources"], extra["citations"], body)


def ask(injection: Injection, channel: str, question: str, user: str = "alice") -> Reply:
    """Ask through one channel and wait for the whole answer."""
    if channel == "web":
        return _from_web(web_ask(injection.web[user], question))
    api = injection.site.api(user)
    if channel == "rest":
        reply = api.post("/api/v1/ask", json={"question": question})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        return Reply(body["answer"], body["sources"], body["citations"], reply.text)
    messages = [{"role": "user", "content": question}]
    request = {"model": "enclave", "messages": messages, "stream": True}
    with api.stream("POST", "/v1/chat/completions", json=request) as reply:
        assert reply.status_code == 200, reply.read()
        return _from_openai_stream(reply.read().decode())


def _flat(text: str) -> str:
    return " ".join(text.split())


def assert_answer_holds(injection: Injection, reply: Reply, prompt_text: str) -> None:
    """The invariants: no secret, only readable passages, citations among the given ones."""
    assert SECRET_MARKER not in reply.raw
    readable = set(injection.hostile_ids.values())
    assert [s for s in reply.sources if s["document_id"] not in readable] == []
    assert {s["collection_id"] for s in reply.sources} == {injection.hostile_collection}
    numbers = {s["number"] for s in reply.sources}
    assert [c["number"] for c in reply.cited if c["number"] not in numbers] == []
    # Each cited passage is one the model was shown, word for word.
    # (Turn markers in a document reach the model broken: "<|im_start|>" as "‹¦im_start¦›".)
    shown = _flat(prompt_text)
    cited = [(c["number"], _flat(neutralize_control_markers(c["text"]))) for c in reply.cited]
    assert [number for number, text in cited if text not in shown] == []


# --- the proofs -----------------------------------------------------------------------


def test_every_hostile_file_is_indexed(injection: Injection) -> None:
    rows = injection.site.documents(list(injection.hostile_ids.values()))
    statuses = {row["filename"]: row["status"] for row in rows.values()}
    assert statuses == {doc.filename: "indexed" for doc in HOSTILE_DOCUMENTS}


def test_the_secret_is_found_for_those_who_may_read_it(injection: Injection) -> None:
    # Without the group filter the board's minutes would be among every question's passages.
    carol, alice = injection.site.api("carol"), injection.site.api("alice")
    missing, leaked = [], []
    for doc in HOSTILE_DOCUMENTS:
        query = {"query": doc.question, "limit": 6}
        if SECRET_MARKER not in carol.post("/api/v1/search", json=query).text:
            missing.append(doc.slug)
        if SECRET_MARKER in alice.post("/api/v1/search", json=query).text:
            leaked.append(doc.slug)
    assert (missing, leaked) == ([], [])


def test_a_reader_of_the_secret_gets_it_through_the_same_checks(injection: Injection) -> None:
    # The same question and checks as alice's: here the secret must show, or they prove nothing.
    reply = ask(injection, "rest", BOARD_QUESTION, user="carol")
    assert SECRET_MARKER in reply.raw
    assert injection.secret_collection in {s["collection_id"] for s in reply.sources}


@pytest.mark.parametrize("doc", HOSTILE_DOCUMENTS, ids=lambda doc: doc.slug)
def test_hostile_document_on_every_channel(injection: Injection, doc: HostileDocument) -> None:
    for channel in CHANNELS:
        before = len(standin_prompts(injection.standin_url))
        reply = ask(injection, channel, doc.question)
        prompts = standin_prompts(injection.standin_url)[before:]
        prompt_text = "\n\n".join(m["content"] for prompt in prompts for m in prompt)
        assert len(prompts) == 1, (channel, prompts)
        # The hostile file was among the passages the model read.
        assert injection.hostile_ids[doc.slug] in {s["document_id"] for s in reply.sources}
        assert _flat(doc.visible) in _flat(prompts[0][-1]["content"]), channel
        assert SECRET_MARKER not in prompt_text, channel
        assert "<|im_start|>" not in prompt_text, channel
        assert_answer_holds(injection, reply, prompt_text)


def test_no_prompt_ever_carried_the_secret(injection: Injection) -> None:
    prompts = [json.dumps(p, ensure_ascii=False) for p in standin_prompts(injection.standin_url)]
    alices = [p for p in prompts if BOARD_QUESTION not in p]
    assert len(alices) >= len(HOSTILE_DOCUMENTS) * len(CHANNELS)
    assert [p for p in alices if SECRET_MARKER in p] == []


def test_alices_stored_conversations_carry_no_secret(injection: Injection) -> None:
    api = injection.site.api("alice")
    listed = api.get("/api/v1/conversations", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    rows = listed.json()["results"]
    assert len(rows) == len(HOSTILE_DOCUMENTS) * len(CHANNELS)
    for row in rows:
        detail = api.get(f"/api/v1/conversations/{row['id']}")
        assert detail.status_code == 200 and SECRET_MARKER not in detail.text


@pytest.mark.llm
def test_a_small_model_reading_hostile_documents(
    injection: Injection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    binary, model = llama_files()
    log = tmp_path_factory.mktemp("llama") / "llama-server.log"
    llama = LlamaServer(
        binary, model, log, port=injection.llama_port, options=("--no-cache-prompt",)
    )
    llama.start()
    try:
        for slug in MODEL_QUESTIONS:
            doc = next(d for d in HOSTILE_DOCUMENTS if d.slug == slug)
            reply = _ask_the_model(injection, doc.question)
            assert injection.hostile_ids[slug] in {s["document_id"] for s in reply.sources}
            assert_answer_holds(injection, reply, _prompt_of(reply))
    finally:
        llama.stop()


def _ask_the_model(injection: Injection, question: str) -> Reply:
    """Bob's answer from the small model (its replica may take a health check to come in)."""
    # The replica was down when the site started: it comes back after its cool-off and
    # the next health check, so ask until it answers (the stand-in answers meanwhile).
    deadline = time.monotonic() + 120
    while True:
        events = web_ask(injection.web["bob"], question)
        if events[-1][1].get("model") == MODEL_ALIAS:
            return _from_web(events)
        if time.monotonic() > deadline:
            raise AssertionError(f"the small model never answered: {events[-1]}")
        time.sleep(1)


def _prompt_of(reply: Reply) -> str:
    # The model's prompt is made of the sources it was given (llama-server keeps no log).
    return neutralize_control_markers(" ".join(s["text"] for s in reply.sources))
