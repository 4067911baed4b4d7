"""Issue 5 acceptance, end to end: browser-equivalent HTTP -> enclave serve -> stand-in vLLMs.

One server and two replicas for the module; the tests run in order and the last
ones kill the replicas.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from typing import Any

import httpx
import pytest

from inference.answering import NOT_FOUND_MESSAGES
from tests.integration.answers.conftest import (
    MAX_MODEL_LEN,
    USER,
    Served,
    iter_sse,
    parse_sse,
)
from tests.standin.openai_standin import tokenize
from tests.standin.process import standin_request_ids
from tests.support.polling import wait_for
from tests.support.server import token_create

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
TRAVEL_QUESTION = "Who must approve travel costs above the monthly limit before booking?"


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", " ".join(text.split()), maxsplit=1)[0]


def _split(events: list[tuple[str, dict]]) -> tuple[dict, list[str], dict]:
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] in ("done", "error"), names
    assert set(names[1:-1]) <= {"delta"}, names
    deltas = [data["text"] for name, data in events if name == "delta"]
    return events[0][1], deltas, events[-1][1]


def _message(served: Served, message_id: int) -> dict[str, Any]:
    url = served.serve.env.get("ENCLAVE_DATABASE_URL")
    query = (
        "SELECT model, tokens_in, tokens_out, first_token_ms, tokens_per_s, rewritten_query, "
        "invalid_citations, grounded, text FROM chat_message WHERE id = %s"
    )
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            row = connection.execute(query, (message_id,)).fetchone()
    else:
        with sqlite3.connect(served.home / "enclave.sqlite3") as connection:
            row = connection.execute(query.replace("%s", "?"), (message_id,)).fetchone()
    keys = "model tokens_in tokens_out first_token_ms tokens_per_s rewritten_query "
    keys += "invalid_citations grounded text"
    stored = dict(zip(keys.split(), row, strict=True))
    # SQLite hands JSON columns back as text, PostgreSQL (jsonb) as Python values.
    if isinstance(stored["invalid_citations"], str):
        stored["invalid_citations"] = json.loads(stored["invalid_citations"])
    stored["grounded"] = bool(stored["grounded"])
    return stored


def _conversation(served: Served, conversation_id: int) -> list[tuple[str, str]]:
    """(role, text) of a conversation's stored messages, oldest first."""
    url = served.serve.env.get("ENCLAVE_DATABASE_URL")
    query = "SELECT role, text FROM chat_message WHERE conversation_id = %s ORDER BY created_at, id"
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            return [tuple(row) for row in connection.execute(query, (conversation_id,))]
    with sqlite3.connect(served.home / "enclave.sqlite3") as connection:
        rows = connection.execute(query.replace("%s", "?"), (conversation_id,)).fetchall()
    return [tuple(row) for row in rows]


def test_answer_streams_through_the_web_app_with_valid_citations(served: Served) -> None:
    sources, deltas, done = _split(served.ask(LEAVE_QUESTION))

    assert "twenty-seven days" in sources["sources"][0]["text"]
    expected = f"{_first_sentence(sources['sources'][0]['text'])} [1]"
    assert len(deltas) > 5 and "".join(deltas) == expected
    assert (done["text"], done["model"], done["backend"]) == (expected, "standin-llm", "openai")
    assert (done["citations"], done["invalid_citations"], done["grounded"]) == ([1], [], True)
    assert done["tokens_in"] > 100 and done["tokens_out"] == len(
        re.findall(r"\w+|[^\w\s]", expected)
    )
    stored = _message(served, done["message_id"])
    assert (stored["model"], stored["text"], stored["grounded"]) == ("standin-llm", expected, 1)
    assert (stored["tokens_in"], stored["tokens_out"]) == (done["tokens_in"], done["tokens_out"])
    assert stored["first_token_ms"] is not None
    # The searching thread's CPU time, for the overhead benchmark (not stored).
    assert isinstance(done["retrieval_cpu_ms"], float) and done["retrieval_cpu_ms"] >= 0
    # The question is written once the answer is under way, still before the answer.
    assert _conversation(served, done["conversation_id"]) == [
        ("user", LEAVE_QUESTION),
        ("assistant", expected),
    ]
    served.conversation_id = done["conversation_id"]


def test_the_answer_thread_calls_the_model_with_the_request_s_id(served: Served) -> None:
    """Under the ASGI server, the answer's own thread logs and calls with the request's id."""
    body = {"question": LEAVE_QUESTION}
    headers = {"X-Request-ID": "live-ask-5e1"}
    with served.client.stream("POST", "/chat/ask", json=body, headers=headers) as response:
        events = parse_sse(response.iter_text())
    assert events[-1][0] == "done" and response.headers["X-Request-ID"] == "live-ask-5e1"

    sent = [ids[-1] for ids in (standin_request_ids(r.base_url) for r in served.replicas) if ids]
    assert "live-ask-5e1" in sent
    log = served.serve.log_path.read_text()
    assert re.search(r"INFO inference\.answering \[live-ask-5e1\] answer done: ", log)


def test_the_chat_names_its_model_and_keeps_the_users_default(served: Served) -> None:
    unknown = served.ask(LEAVE_QUESTION, model="gpt-9")
    refused = served.client.post("/chat/model", json={"model": "gpt-9"})
    saved = served.client.post("/chat/model", json={"model": "standin-llm"})
    _sources, _deltas, done = _split(served.ask(LEAVE_QUESTION))
    named = _split(served.ask(LEAVE_QUESTION, model="standin-llm"))[2]
    cleared = served.client.post("/chat/model", json={"model": ""})

    assert unknown[-1][0] == "error" and unknown[-1][1]["code"] == "unknown_model"
    assert refused.status_code == 400 and "gpt-9" in refused.json()["message"]
    assert saved.json() == {"model": "standin-llm"}
    assert done["route_reason"] == "user default 'standin-llm'"
    assert named["route_reason"] == "requested 'standin-llm'"
    assert cleared.json() == {"model": ""}


def test_follow_up_is_rewritten_by_the_model_and_stored(served: Served) -> None:
    _, _, done = _split(
        served.ask("and for part-time employees?", conversation_id=served.conversation_id)
    )

    rewritten = f"{LEAVE_QUESTION.rstrip('?')} (and for part-time employees?)"
    assert done["rewritten_query"] == rewritten
    assert _message(served, done["message_id"])["rewritten_query"] == rewritten
    assert "twenty-seven days" in done["text"]


def test_many_long_passages_are_budgeted_into_max_model_len(served: Served) -> None:
    rejected = served.total("rejected_400")

    sources, _, done = _split(served.ask(TRAVEL_QUESTION))

    # The passages found do not fit the 1024-token window together; the budget dropped some.
    given = sum(len(tokenize(s["text"])) for s in sources["sources"])
    assert len(sources["sources"]) >= 3 and given > MAX_MODEL_LEN
    assert done["citations"] == [1] and "written approval" in done["text"]
    assert done["tokens_in"] <= MAX_MODEL_LEN - 512 - 32
    assert served.total("rejected_400") == rejected == 0


def test_invalid_citations_are_removed_and_flagged(served: Served) -> None:
    for replica in served.replicas:
        replica.configure(bad_citation=9)
    try:
        sources, deltas, done = _split(served.ask(LEAVE_QUESTION))
    finally:
        for replica in served.replicas:
            replica.configure(bad_citation=0)

    # [9] (no such passage) never reaches the reader, not even while streaming.
    assert "".join(deltas) == done["text"]
    assert done["text"] == f"{_first_sentence(sources['sources'][0]['text'])} [1]"
    assert (done["citations"], done["invalid_citations"]) == ([1], [9])
    assert _message(served, done["message_id"])["invalid_citations"] == [9]


def test_nothing_relevant_gets_i_dont_know_without_asking_the_model(served: Served) -> None:
    asked = served.total("chat_requests")

    sources, deltas, done = _split(
        served.ask("What is the airspeed velocity of an unladen swallow?")
    )

    assert sources["sources"] == []
    assert "".join(deltas) == done["text"] == NOT_FOUND_MESSAGES["en"]
    assert (done["citations"], done["sources"], done["grounded"]) == ([], [], False)
    assert (done["abstained"], done["notice"]) == (True, None)
    assert served.total("chat_requests") == asked


def test_an_uncited_answer_gets_attributed_citations_and_an_invented_sentence_is_flagged(
    served: Served,
) -> None:
    invented = "The cafeteria serves free lunch to every visitor on Fridays."
    for replica in served.replicas:
        replica.configure(cite="none", invent=invented)
    try:
        sources, deltas, done = _split(served.ask(LEAVE_QUESTION))
        for replica in served.replicas:
            replica.configure(cite="wrong", invent="")
        wrong = _split(served.ask(LEAVE_QUESTION))[2]
    finally:
        for replica in served.replicas:
            replica.configure(cite="first", invent="")

    first = _first_sentence(sources["sources"][0]["text"])
    # The model cited nothing: Enclave cites the passage that says it, flags the rest.
    assert "".join(deltas) == f"{first} {invented}"
    assert done["text"] == f"{first} [1] {invented}"
    assert done["sentences"] == {"cited": 0, "attributed": 1, "unsupported": 1}
    assert [(s["status"], s["citations"]) for s in done["support"]] == [
        ("attributed", [1]),
        ("unsupported", []),
    ]
    assert done["citations"] == [1] and done["sources"][0]["text"] == sources["sources"][0]["text"]
    stored = _message(served, done["message_id"])
    assert stored["text"] == done["text"]
    # Cited wrongly ([2], the travel policy): the leave passage replaces it.
    assert wrong["text"] == f"{first} [1]"
    assert wrong["sentences"] == {"cited": 0, "attributed": 1, "unsupported": 0}
    assert "twenty-seven days" in wrong["sources"][0]["text"]


def test_off_topic_questions_abstain_in_the_language_they_are_asked_in(served: Served) -> None:
    asked = served.total("chat_requests")
    token = token_create(served.serve.env, user=USER, name="abstain", scope="ask")
    api = httpx.Client(
        base_url=served.serve.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    questions = {
        "en": "What is the CEO's favourite colour?",
        "pt": "Qual é a cor favorita do diretor executivo?",
    }
    with api:
        for language, question in questions.items():
            sources, deltas, done = _split(served.ask(question))
            rest = api.post("/api/v1/ask", json={"question": question}).json()
            completion = api.post(
                "/v1/chat/completions",
                json={"model": "enclave", "messages": [{"role": "user", "content": question}]},
            ).json()

            expected = NOT_FOUND_MESSAGES[language]
            assert sources["sources"] == [] and "".join(deltas) == done["text"] == expected
            assert (done["abstained"], done["citations"], done["sources"]) == (True, [], [])
            assert (rest["answer"], rest["abstained"], rest["citations"]) == (expected, True, [])
            assert rest["sources"] == [] and rest["grounded"] is False
            assert completion["choices"][0]["message"]["content"] == expected
            extra = completion["enclave"]
            assert (extra["abstained"], extra["citations"], extra["sources"]) == (True, [], [])
            assert _message(served, done["message_id"])["text"] == expected
    assert served.total("chat_requests") == asked  # no model was asked


def test_a_reader_who_leaves_cancels_the_upstream_request(served: Served) -> None:
    for replica in served.replicas:
        replica.configure(delay_ms=200)
    aborted = served.total("streams_aborted")
    try:
        with served.client.stream("POST", "/chat/ask", json={"question": LEAVE_QUESTION}) as r:
            for name, data in iter_sse(r.iter_text()):
                if name == "sources":
                    conversation_id = data["conversation_id"]
                if name == "delta":
                    break  # the browser tab closes after the first words
        assert wait_for(lambda: served.total("streams_aborted") == aborted + 1)
        # The question stays in the conversation; no answer was completed to store.
        only_question = [("user", LEAVE_QUESTION)]
        assert wait_for(lambda: _conversation(served, conversation_id) == only_question)
    finally:
        for replica in served.replicas:
            replica.configure(delay_ms=0)


def _ask_many(served: Served, count: int) -> list[dict]:
    results: list[dict] = []
    lock = threading.Lock()

    def ask() -> None:
        _, _, done = _split(served.ask(LEAVE_QUESTION))
        with lock:
            results.append(done)

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_one_replica_killed_mid_run_every_request_is_still_answered(served: Served) -> None:
    before = _ask_many(served, 4)
    served.replicas[0].kill()
    after = _ask_many(served, 6)

    for done in before + after:
        assert (done.get("model"), done.get("citations")) == ("standin-llm", [1]), done
    assert served.replicas[1].stats()["streams_completed"] > 0


def test_all_replicas_down_answers_from_the_passages_with_a_localized_notice(
    served: Served,
) -> None:
    for replica in served.replicas:  # the test before may have killed the first already
        if replica.process is not None:
            replica.kill()

    events = served.ask(LEAVE_QUESTION)
    sources, deltas, done = _split(events)
    pt_events = served.ask(LEAVE_QUESTION, headers={"Accept-Language": "pt"})
    pt_done = pt_events[-1][1]
    page = served.client.get(
        f"/c/{pt_done['conversation_id']}/", headers={"Accept-Language": "pt"}
    ).text

    # The passages found answer, quoted and cited, with a notice beside (not in) the text.
    assert "twenty-seven days" in done["text"] and done["text"].endswith("[1]")
    assert "".join(deltas) == done["text"] and done["backend"] == "extractive"
    assert done["notice"] == {
        "code": "model_unavailable",
        "message": "The language model is unavailable right now: this answer quotes the "
        "best-matching passages instead.",
    }
    assert pt_done["notice"]["message"] == (
        "O modelo de linguagem está indisponível neste momento: esta resposta cita as "
        "passagens mais relevantes."
    )
    assert pt_done["notice"]["message"] in page
    # Nothing internal reaches the employee: no URL, address or exception name.
    for name, data in events + pt_events:
        wire = json.dumps(data)
        assert "http" not in wire and "127.0.0.1" not in wire and "Error(" not in wire, name
    assert _conversation(served, sources["conversation_id"]) == [
        ("user", LEAVE_QUESTION),
        ("assistant", done["text"]),
    ]
