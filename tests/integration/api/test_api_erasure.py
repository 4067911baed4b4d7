"""A document deleted through the API is gone from API search and ask (plain and streamed)."""

from __future__ import annotations

import json

import pytest

from tests.integration.api.conftest import wait_documents

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

HONEY = "The rooftop beehives of the Porto office produce forty kilograms of honey every summer."
VOLUNTEERS = "Beekeeping volunteers meet on Thursdays at noon beside the rooftop water tanks."
QUESTION = "How much honey do the rooftop beehives produce?"


def _streamed(body: str) -> dict[str, dict]:
    events = {}
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events[lines["event"]] = json.loads(lines["data"])
    return events


def _found(client, document_id: int) -> dict[str, bool]:
    """Where the document still shows through the API, for bob (group eng)."""
    found = {}
    for sentence in (HONEY, VOLUNTEERS):
        passages = client.post("/api/v1/search", json={"query": sentence}).json()["passages"]
        found[f"search {sentence[:20]}"] = any(
            p["document_id"] == document_id or sentence in " ".join(p["text"].split())
            for p in passages
        )
    answer = client.post("/api/v1/ask", json={"question": QUESTION}).json()
    found["ask sources"] = any(s["document_id"] == document_id for s in answer["sources"])
    found["ask citations"] = any(c["document_id"] == document_id for c in answer["citations"])
    found["ask answer"] = "forty kilograms" in answer["answer"]
    stream = _streamed(client.post("/api/v1/ask", json={"question": QUESTION, "stream": True}).text)
    found["stream sources"] = any(
        s["document_id"] == document_id for s in stream["sources"]["sources"]
    )
    found["stream answer"] = "forty kilograms" in stream["done"]["text"]
    return found


def test_a_deleted_document_is_gone_from_api_search_and_ask(api_site):
    with api_site.client("root") as root, api_site.client("bob") as bob:
        collection = root.post(
            "/api/v1/collections", json={"name": "Rooftop", "groups": ["eng"]}
        ).json()
        created = root.post(
            f"/api/v1/collections/{collection['id']}/documents",
            json={"filename": "bees.md", "text": f"# Bees\n\n{HONEY}\n\n{VOLUNTEERS}\n"},
        )
        assert created.status_code == 201, created.text
        document_id = created.json()["document"]["id"]
        assert wait_documents(root, [document_id])[document_id]["status"] == "indexed"
        assert set(_found(bob, document_id).values()) == {True}

        assert root.delete(f"/api/v1/documents/{document_id}").status_code == 204

        assert set(_found(bob, document_id).values()) == {False}
        assert set(_found(root, document_id).values()) == {False}
        assert root.get(f"/api/v1/documents/{document_id}").status_code == 404
