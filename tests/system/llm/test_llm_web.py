"""The web app and the APIs answering through a real llama.cpp ``llama-server``.

``enclave serve`` gets the server through ENCLAVE_LLM_ENDPOINTS, as a site would.
A 135M model's answers are not judged, only what Enclave makes of them.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.chat import iter_sse
from tests.support.llama_server import MODEL_ALIAS
from tests.system.llm.conftest import Site

pytestmark = [pytest.mark.llm, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"
_MARKER = re.compile(r"\[(\d+)\]")


def _split(events: list[tuple[str, dict]]) -> tuple[dict, list[str], dict]:
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done", events[-1]
    assert set(names[1:-1]) == {"delta"}, names
    return events[0][1], [data["text"] for name, data in events[1:-1]], events[-1][1]


def test_the_chat_streams_the_answer_while_the_model_writes_it(site: Site) -> None:
    events: list[tuple[str, dict]] = []
    generating = None
    before = site.llama.counters()
    with site.chat.stream("POST", "/chat/ask", json={"question": QUESTION}) as response:
        for event in iter_sse(response.iter_text()):
            events.append(event)
            if event[0] == "delta" and generating is None:
                generating = site.llama.slot()["is_processing"]
    sources, deltas, done = _split(events)
    served = {name: value - before[name] for name, value in site.llama.counters().items()}
    params = site.llama.slot()["params"]

    assert generating is True  # the first words reached the browser mid-generation
    assert sources["sources"] and len(deltas) > 1
    assert (done["model"], done["backend"]) == (MODEL_ALIAS, "openai")
    # The counts are the server's, for this very request.
    assert done["tokens_in"] == served["prompt_tokens_total"] + served["prompt_tokens_cached_total"]
    assert done["tokens_out"] == served["tokens_predicted_total"]
    # Sent by Enclave over the server's --temp 0.8 --repeat-penalty 1.3.
    assert (params["temperature"], params["repeat_penalty"]) == (0.0, 1.0)


def test_citations_in_the_answer_all_point_at_passages_shown(site: Site) -> None:
    # A 135M model rarely writes [n] itself (greedy decoding: always the same words for
    # one prompt): whatever it writes, every marker the user reads points at a passage
    # shown, and each sentence is counted as cited, attributed to a passage, or flagged.
    # (Asked about expenses, with the multilingual default's passages, it wrote only
    # "A: 1" lines: no sentence to count.)
    sources, deltas, done = _split(site.ask(QUESTION))

    numbers = {source["number"] for source in done["sources"]}
    shown = {int(n) for n in _MARKER.findall(done["text"])}
    assert "".join(deltas).strip(), "the model wrote nothing"
    assert shown <= set(done["citations"]) <= numbers
    assert numbers.isdisjoint(done["invalid_citations"])
    assert {s["number"] for s in sources["sources"]} >= numbers
    counts = done["sentences"]
    assert counts["cited"] + counts["attributed"] + counts["unsupported"] >= 1, counts
    assert done["grounded"] is bool(done["citations"])


def test_the_rest_api_answers_with_the_model(site: Site) -> None:
    with site.api() as api:
        body = api.post("/api/v1/ask", json={"question": QUESTION}).json()

    assert (body["model"], body["backend"]) == (MODEL_ALIAS, "openai")
    assert body["answer"].strip() and body["tokens_in"] > 100 and body["tokens_out"] > 0
    cited = {c["number"] for c in body["citations"]}
    assert {int(n) for n in _MARKER.findall(body["answer"])} <= cited


def test_the_openai_endpoint_streams_chunks_of_the_models_answer(site: Site) -> None:
    request = {
        "model": "enclave",
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with site.api() as api, api.stream("POST", "/v1/chat/completions", json=request) as r:
        lines = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]

    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    pieces = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    finished = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len([p for p in pieces if p]) > 1
    assert [c["choices"][0]["finish_reason"] for c in finished] == ["stop"]
    assert finished[0]["enclave"]["backend"] == "openai"
    assert chunks[-1]["usage"]["prompt_tokens"] > 100


def _answered_by_the_model(site: Site) -> bool:
    name, data = site.ask(QUESTION)[-1]
    return name == "done" and data.get("backend") == "openai"


def test_a_killed_server_is_used_again_once_restarted(site: Site) -> None:
    site.llama.kill()
    down = site.ask(QUESTION)[-1]
    site.llama.start()  # same port; Enclave's health check (every 0.5 s) finds it
    deadline = time.monotonic() + 60
    while not _answered_by_the_model(site):
        assert time.monotonic() < deadline, "the restarted llama-server never answered again"
        time.sleep(0.5)

    # While it was down, no answer claimed to come from the model.
    assert not (down[0] == "done" and down[1].get("backend") == "openai"), down
