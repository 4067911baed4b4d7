"""The REST API over HTTP (httpx) against a live server: documents, search, answers, errors."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.api.conftest import wait_documents
from tests.support.documents import BADGE_SENTENCE, LEAVE_SENTENCE, make_security_docx

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"


def poll_search(client, query: str, *, until, timeout_s: float = 60.0) -> list[dict]:
    """Search until ``until(passages)`` holds (a change that reaches the index via the worker)."""
    deadline = time.monotonic() + timeout_s
    while True:
        passages = client.post("/api/v1/search", json={"query": query}).json()["passages"]
        if until(passages) or time.monotonic() > deadline:
            return passages
        time.sleep(0.2)


def _sse(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_admin_builds_a_collection_and_documents_through_the_api(api_site, tmp_path):
    with api_site.client("root") as root:
        created = root.post(
            "/api/v1/collections",
            json={"name": "Security", "description": "Badges", "groups": ["eng"]},
        )
        assert created.status_code == 201, created.text
        collection = created.json()
        assert (collection["name"], collection["groups"]) == ("Security", ["eng"])
        docs = f"/api/v1/collections/{collection['id']}/documents"

        docx = make_security_docx(tmp_path / "security.docx")
        with docx.open("rb") as handle:
            upload = root.post(docs, files={"file": ("security.docx", handle)})
        assert upload.status_code == 201, upload.text
        text = root.post(
            docs,
            json={"filename": "parking.md", "text": "# Parking\n\nVisitors park on level -2."},
        )
        assert text.status_code == 201, text.text
        again = root.post(
            docs,
            json={"filename": "parking.md", "text": "# Parking\n\nVisitors park on level -2."},
        )
        assert (again.status_code, again.json()["created"]) == (200, False)
        ids = [upload.json()["document"]["id"], text.json()["document"]["id"]]
        rows = wait_documents(root, ids)
        assert [rows[i]["status"] for i in ids] == ["indexed", "indexed"]
        assert all(rows[i]["progress_percent"] == 100 and rows[i]["chunk_count"] > 0 for i in ids)

        listed = root.get("/api/v1/documents", params={"collection_id": collection["id"]}).json()
        assert listed["count"] == 2
        assert {d["source"] for d in listed["results"]} == {"api"}
        assert root.get("/api/v1/documents", params={"status": "failed"}).json()["count"] == 0

        with api_site.client("bob") as bob:
            hits = bob.post("/api/v1/search", json={"query": "lost security badge"}).json()
            assert hits["passages"][0]["document_id"] == ids[0]
            assert BADGE_SENTENCE.split(" must")[0] in hits["passages"][0]["text"]

        reindexed = root.post(f"/api/v1/documents/{ids[1]}/reindex")
        assert (reindexed.status_code, reindexed.json()["status"]) == (202, "queued")
        assert wait_documents(root, [ids[1]])[ids[1]]["status"] == "indexed"

        assert root.delete(f"/api/v1/documents/{ids[1]}").status_code == 204
        assert root.get(f"/api/v1/documents/{ids[1]}").status_code == 404
        with api_site.client("bob") as bob:
            hits = bob.post("/api/v1/search", json={"query": "Visitors park on level"}).json()
            assert all(p["document_id"] != ids[1] for p in hits["passages"])

        changed = root.put(f"/api/v1/collections/{collection['id']}/groups", json={"groups": []})
        assert (changed.status_code, changed.json()["groups"]) == (200, [])
        with api_site.client("bob") as bob:
            # The points follow through the worker, seconds later.
            assert poll_search(bob, "lost security badge", until=lambda p: p == []) == []


def test_search_returns_scored_passages_with_citation_metadata(api_site):
    with api_site.client("alice") as alice:
        response = alice.post(
            "/api/v1/search",
            json={
                "query": LEAVE_SENTENCE,
                "collection_ids": [api_site.hr_collection_id],
                "limit": 2,
            },
        )
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert len(passages) == 2
    best = passages[0]
    assert (best["number"], best["document_id"], best["page"], best["title"]) == (
        1,
        api_site.handbook_id,
        2,
        "handbook",
    )
    assert best["collection_id"] == api_site.hr_collection_id
    assert best["score"] >= passages[1]["score"]


def test_ask_answers_with_citations_then_continues_and_takes_feedback(api_site):
    with api_site.client("alice") as alice:
        answer = alice.post("/api/v1/ask", json={"question": QUESTION})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "twenty-seven days" in body["answer"]
        assert "[1]" in body["answer"]
        assert body["citations"][0]["document_id"] == api_site.handbook_id
        assert body["citations"][0]["page"] == 2

        follow = alice.post(
            f"/api/v1/conversations/{body['conversation_id']}",
            json={"question": "Who approves leave requests?", "stream": True},
        )
        assert follow.headers["content-type"].startswith("text/event-stream")
        events = _sse(follow.text)
        names = [name for name, _ in events]
        assert names[0] == "sources" and names[-1] == "done" and "delta" in names
        done = events[-1][1]
        assert done["conversation_id"] == body["conversation_id"]
        assert "manager" in done["text"]

        conversation = alice.get(f"/api/v1/conversations/{body['conversation_id']}").json()
        assert [m["role"] for m in conversation["messages"]] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]
        assert conversation["messages"][1]["citations"][0]["page"] == 2
        listed = alice.get("/api/v1/conversations").json()
        assert body["conversation_id"] in [c["id"] for c in listed["results"]]

        feedback = alice.put(
            f"/api/v1/messages/{body['message_id']}/feedback",
            json={"helpful": True, "comment": "exact"},
        )
        assert feedback.json() == {
            "message_id": body["message_id"],
            "helpful": True,
            "comment": "exact",
        }
        # The question itself is not an answer: no feedback on it.
        user_message = conversation["messages"][0]["id"]
        missing = alice.put(f"/api/v1/messages/{user_message}/feedback", json={"helpful": False})
        assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"question": 5}', "application/json", 400, "invalid"),
        (b'{"question": "ok", "stream": "yes"}', "application/json", 400, "invalid"),
        (b'{"question": "ok", "collection_ids": ["1"]}', "application/json", 400, "invalid"),
        (b'{"question": "ok", "collection_ids": [999999]}', "application/json", 404, "not_found"),
        (b'{"question": "ok", "conversation_id": 999999}', "application/json", 404, "not_found"),
        (b'{"question": "\xff\xfe"}', "application/json", 400, "parse_error"),
        (b'{"question": NaN}', "application/json", 400, "parse_error"),
        (b"[1, 2", "application/json", 400, "parse_error"),
        (b"[]", "application/json", 400, "invalid"),
        (b"question=hi", "text/plain", 415, "unsupported_media_type"),
        (
            b'{"question": "' + b"x" * (11 * 1024 * 1024) + b'"}',
            "application/json",
            413,
            "too_large",
        ),
    ],
)
def test_bad_input_gets_a_4xx_json_error(api_site, body, content_type, status, code):
    with api_site.client("alice") as alice:
        response = alice.post("/api/v1/ask", content=body, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_unknown_ids_and_paths_are_json_404s(api_site):
    with api_site.client("root") as root:
        for path in (
            "/api/v1/documents/987654",
            "/api/v1/collections/987654",
            "/api/v1/conversations/987654",
        ):
            response = root.get(path)
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
        upload = root.post(
            "/api/v1/collections/987654/documents", json={"filename": "a.md", "text": "x"}
        )
        assert upload.status_code == 404
        too_big_id = root.get("/api/v1/documents", params={"collection_id": 2**70})
        assert (too_big_id.status_code, too_big_id.json()["code"]) == (400, "invalid")
        unknown_group = root.post("/api/v1/collections", json={"name": "X", "groups": ["nobody"]})
        assert (unknown_group.status_code, unknown_group.json()["code"]) == (400, "invalid")


def test_admin_renames_then_deletes_a_collection_and_search_forgets_it(api_site):
    with api_site.client("root") as root:
        root.post("/api/v1/collections", json={"name": "Kitchen", "groups": ["eng"]})
        created = root.post("/api/v1/collections", json={"name": "Canteen", "groups": ["eng"]})
        assert created.status_code == 201, created.text
        url = f"/api/v1/collections/{created.json()['id']}"
        text = root.post(
            f"{url}/documents",
            json={"filename": "canteen.md", "text": "# Canteen\n\nThe canteen serves soup daily."},
        )
        document_id = text.json()["document"]["id"]
        assert wait_documents(root, [document_id])[document_id]["status"] == "indexed"

        renamed = root.patch(url, json={"name": "  Cafeteria "})
        taken = root.patch(url, json={"name": "Kitchen"})
        with api_site.client("bob") as bob:
            refused = bob.patch(url, json={"name": "Mine"})
            found = poll_search(bob, "canteen serves soup", until=bool)

        assert (renamed.status_code, renamed.json()["name"]) == (200, "Cafeteria")
        assert renamed.json()["groups"] == ["eng"]
        assert taken.status_code == 400
        assert taken.json() == {
            "code": "invalid",
            "message": "A collection named 'Kitchen' already exists.",
        }
        assert refused.status_code == 403
        assert found[0]["document_id"] == document_id

        deleted = root.delete(url)
        assert deleted.status_code == 200
        assert deleted.json() == {"id": created.json()["id"], "documents_deleted": 1}
        assert root.get(url).status_code == 404
        assert root.get(f"/api/v1/documents/{document_id}").status_code == 404
        with api_site.client("bob") as bob:
            hits = bob.post("/api/v1/search", json={"query": "canteen serves soup"}).json()
        assert all(p["document_id"] != document_id for p in hits["passages"])
