"""Extractive answers (no language model) along every path: web, REST, /v1 and the CLI.

What an employee reads: whole sentences that answer the question, never a heading;
citations numbered [1], [2], ... in order of first use, with the sources numbered
the same way; that the answer is extractive is a label, not part of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.answers.conftest import PASSWORD, USER, login, parse_sse
from tests.support.server import ServeProcess, cli, process_env, run_cli, token_create

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

QUESTION = "What are the building blocks of the platform?"
HEADINGS = ("Platform guide", "Building blocks", "Gateway", "Search service", "Operations")
GUIDE = """# Platform guide

## Building blocks

The platform is made of three building blocks: a gateway, a search service and a store.

## Gateway

The gateway checks every request before it reaches the search service.

## Search service

The search service answers most queries in under one second.
"""
OPERATIONS = """# Operations

## Building blocks

Building blocks

Each building block of the platform runs in its own container and restarts after a failure.
"""
MARKER = re.compile(r"\[(\d+)\]")
# The two statements holding every term of QUESTION, one per guide. Which comes first
# is the embedding model's call: the default (USE multilingual) puts the container
# sentence a little closer in meaning (cosine 0.46 against 0.41), MiniLM the reverse.
ANSWER = "The platform is made of three building blocks: a gateway, a search service and a store."
DISTRACTOR = (
    "Each building block of the platform runs in its own container and restarts after a failure."
)


@dataclass
class Site:
    serve: ServeProcess
    client: httpx.Client
    api: httpx.Client
    env: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """``enclave serve`` without any language model, two guides with many headings."""
    home = tmp_path_factory.mktemp("extractive-home")
    env = process_env(home)
    docs = tmp_path_factory.mktemp("extractive-docs")  # ingestion never reads the home
    (docs / "guide.md").write_text(GUIDE)
    (docs / "operations.md").write_text(OPERATIONS)
    cli(["ingest", str(docs), "--collection", "Platform", "--group", "staff"], env)
    cli(["user", USER, "--password", PASSWORD, "--group", "staff"], env)
    secret = token_create(env, user=USER, name="t", scope="ask")
    serve = ServeProcess(env, Path(home) / "serve.log")
    serve.start()
    client = login(serve.url)
    api = httpx.Client(
        base_url=serve.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    )
    try:
        yield Site(serve, client, api, env)
    finally:
        client.close()
        api.close()
        serve.stop()


def _quotes(text: str) -> list[tuple[str, int]]:
    """(sentence, marker number) pairs of an extractive answer, in reading order."""
    pieces = re.findall(r"\s*(.+?) \[(\d+)\]", text)
    return [(sentence, int(number)) for sentence, number in pieces]


def _assert_numbered_by_first_use(text: str, sources: list[dict]) -> None:
    first_use = list(dict.fromkeys(int(n) for n in MARKER.findall(text)))
    assert first_use == list(range(1, len(first_use) + 1)), text
    assert [s["number"] for s in sources] == list(range(1, len(sources) + 1))
    for sentence, number in _quotes(text):
        assert sentence in sources[number - 1]["text"], (sentence, number)
        assert sentence.strip("# ") not in HEADINGS and len(sentence.split()) >= 5


def test_the_web_answer_quotes_sentences_numbered_by_first_use_with_a_label(site: Site) -> None:
    with site.client.stream("POST", "/chat/ask", json={"question": QUESTION}) as response:
        events = parse_sse(response.iter_text())
    done = events[-1][1]
    page = site.client.get(f"/c/{done['conversation_id']}/", headers={"Accept-Language": "pt"})

    assert events[-1][0] == "done"
    assert {sentence for sentence, _ in _quotes(done["text"])} == {ANSWER, DISTRACTOR}
    _assert_numbered_by_first_use(done["text"], done["sources"])
    assert "".join(data["text"] for name, data in events if name == "delta") == done["text"]
    assert done["notice"] == {
        "code": "extractive",
        "message": "Extractive answer: quoted from the best-matching passages, because no "
        "language model is configured.",
    }
    assert "Extractive" not in done["text"] and done["abstained"] is False
    assert done["sentences"]["cited"] == len(_quotes(done["text"]))
    # The stored answer keeps the numbers; the Portuguese page labels it in Portuguese.
    assert "Resposta extrativa: citada das passagens mais relevantes" in page.text
    assert 'data-number="1"' in page.text


def test_rest_and_openai_bodies_carry_the_same_numbering_and_the_notice_as_metadata(
    site: Site,
) -> None:
    rest = site.api.post("/api/v1/ask", json={"question": QUESTION}).json()
    completion = site.api.post(
        "/v1/chat/completions",
        json={"model": "enclave", "messages": [{"role": "user", "content": QUESTION}]},
    ).json()
    content = completion["choices"][0]["message"]["content"]
    extra = completion["enclave"]

    for text, sources, cited in (
        (rest["answer"], rest["sources"], rest["citations"]),
        (content, extra["sources"], extra["citations"]),
    ):
        _assert_numbered_by_first_use(text, sources)
        assert "Extractive" not in text
        assert [c["number"] for c in cited] == sorted({int(n) for n in MARKER.findall(text)})
    assert rest["notice"]["code"] == extra["notice"]["code"] == "extractive"
    assert rest["answer"] == content


def test_the_terminal_prints_the_quotes_the_label_and_the_sources_by_number(site: Site) -> None:
    result = run_cli(["ask", QUESTION, "--user", USER], site.env)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    text = lines[0]
    assert {sentence for sentence, _ in _quotes(text)} == {ANSWER, DISTRACTOR}
    assert "(Extractive answer: quoted from the best-matching passages" in result.stdout
    sources = [line.strip() for line in lines[lines.index("Sources:") + 1 :]]
    numbers = sorted({int(n) for n in MARKER.findall(text)})
    assert [source.split("]")[0] + "]" for source in sources] == [f"[{n}]" for n in numbers]
    # Titles are the documents' own headings.
    assert sorted(source.split("] ")[1] for source in sources) == ["Operations", "Platform guide"]
