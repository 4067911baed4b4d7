"""Another user's token never sees documents outside its groups, through any endpoint."""

from __future__ import annotations

import json

import openai
import pytest

from tests.support.documents import LEAVE_SENTENCE

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"
SECRET_WORDS = ("twenty-seven", "handbook")


def _clean(text: str) -> None:
    for word in SECRET_WORDS:
        assert word not in text.lower()


def test_bob_never_sees_the_hr_handbook(api_site):
    hr, doc = api_site.hr_collection_id, api_site.handbook_id
    with api_site.client("alice") as alice:
        alices = alice.post("/api/v1/ask", json={"question": QUESTION}).json()
    with api_site.client("bob") as bob:
        assert hr not in [c["id"] for c in bob.get("/api/v1/collections").json()]
        for path in (f"/api/v1/collections/{hr}", f"/api/v1/documents/{doc}"):
            assert bob.get(path).status_code == 404
        assert doc not in [d["id"] for d in bob.get("/api/v1/documents").json()["results"]]
        filtered = bob.get("/api/v1/documents", params={"collection_id": hr}).json()
        assert filtered == {"count": 0, "results": []}
        assert bob.delete(f"/api/v1/documents/{doc}").status_code == 404
        assert bob.post(f"/api/v1/documents/{doc}/reindex").status_code == 404
        assert (
            bob.post(
                f"/api/v1/collections/{hr}/documents", json={"filename": "x.md", "text": "x"}
            ).status_code
            == 404
        )

        assert bob.post("/api/v1/search", json={"query": LEAVE_SENTENCE}).json() == {"passages": []}
        scoped = bob.post("/api/v1/search", json={"query": LEAVE_SENTENCE, "collection_ids": [hr]})
        assert scoped.status_code == 404

        answer = bob.post("/api/v1/ask", json={"question": QUESTION}).json()
        assert answer["sources"] == [] and answer["citations"] == []
        _clean(answer["answer"])
        streamed = bob.post("/api/v1/ask", json={"question": QUESTION, "stream": True}).text
        _clean(streamed)
        assert '"sources": []' in streamed

        # Alice's conversation and answer are not bob's.
        assert bob.get(f"/api/v1/conversations/{alices['conversation_id']}").status_code == 404
        follow = bob.post(
            f"/api/v1/conversations/{alices['conversation_id']}", json={"question": "and?"}
        )
        assert follow.status_code == 404
        ids = [c["id"] for c in bob.get("/api/v1/conversations").json()["results"]]
        assert alices["conversation_id"] not in ids
        feedback = bob.put(
            f"/api/v1/messages/{alices['message_id']}/feedback", json={"helpful": False}
        )
        assert feedback.status_code == 404

    client = openai.OpenAI(base_url=f"{api_site.url}/v1", api_key=api_site.tokens["bob"])
    models = [m.id for m in client.models.list()]
    assert "enclave:HR" not in models and "enclave" in models
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="enclave:HR", messages=[{"role": "user", "content": QUESTION}]
        )
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("enclave:HR")
    completion = client.chat.completions.create(
        model="enclave", messages=[{"role": "user", "content": QUESTION}]
    )
    _clean(completion.choices[0].message.content)
    assert completion.model_extra["enclave"]["sources"] == []
    chunks = client.chat.completions.create(
        model="enclave", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    _clean(json.dumps([c.model_dump() for c in chunks]))
