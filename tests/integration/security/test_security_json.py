"""Malformed JSON on every JSON endpoint is a 400 with the documented body, never a 500.

50,000 nested arrays made Python's decoder raise RecursionError (a 500 with a
traceback in the log); 100 levels parse but are refused too, before anything
walks them.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000
TOO_DEEP = "[" * 100 + "]" * 100


def _body(nested: str) -> str:
    return '{"question": ' + nested + ', "query": ' + nested + "}"


def _api_endpoints(world) -> list[tuple[str, str]]:
    collection, conversation = world.collections["A"].id, world.conversation.id
    return [
        ("post", "/api/v1/search"),
        ("post", "/api/v1/ask"),
        ("post", f"/api/v1/conversations/{conversation}"),
        ("put", f"/api/v1/messages/{world.answer.id}/feedback"),
        ("post", "/api/v1/tokens"),
        ("post", "/api/v1/collections"),
        ("put", f"/api/v1/collections/{collection}/groups"),
        ("post", f"/api/v1/collections/{collection}/documents"),
        ("post", "/v1/chat/completions"),
    ]


@pytest.mark.parametrize("nested", [DEEP, TOO_DEEP], ids=["50000-deep", "100-deep"])
def test_api_and_v1_answer_400_parse_error(world, nested):
    client = world.api("sam")

    results = {
        path: getattr(client, method)(path, data=_body(nested), content_type="application/json")
        for method, path in _api_endpoints(world)
    }

    statuses = {path: response.status_code for path, response in results.items()}
    bodies = {path: response.json() for path, response in results.items()}
    assert statuses == {path: 400 for path in results}
    assert {b["code"] for b in bodies.values()} == {"parse_error"}
    assert {b["message"] for b in bodies.values()} == {
        "The request body nests deeper than 32 levels."
    }


@pytest.mark.parametrize("nested", [DEEP, TOO_DEEP], ids=["50000-deep", "100-deep"])
def test_web_chat_endpoints_answer_400_with_the_error_body(world, nested):
    client = world.session("ann")
    paths = ["/chat/ask", "/chat/model", f"/chat/answers/{world.answer.id}/feedback"]

    responses = [
        client.post(path, data=_body(nested), content_type="application/json") for path in paths
    ]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert [r.json() for r in responses] == [
        {"code": "invalid", "message": "The request body must be JSON."}
    ] * 3
