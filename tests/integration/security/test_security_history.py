"""Old conversations follow what the user may read now, on the web page and in the API.

ann asked about the A-only figure while in group A. Once an admin takes her out
of A, her old answer and its citation no longer show the figure, in the page,
the citation panel's data and the REST API; put back in A, she reads it again.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.security.world import A_SECRET

pytestmark = pytest.mark.django_db

WITHHELD = "This answer drew on a document you can no longer read, so it is not shown."
UNAVAILABLE = {
    "number": 1,
    "document_id": None,
    "collection_id": None,
    "chunk_index": None,
    "title": "No longer available to you",
    "page": None,
    "heading": "",
    "text": "",
    "score": 0.0,
}


def _set_groups(world, who: str, groups: list[str]) -> int:
    ids = [str(world.groups[name].id) for name in groups]
    response = world.session("sam").post(f"/console/users/{world.users[who].id}/", {"groups": ids})
    return response.status_code


def _panel_sources(page: str) -> dict:
    found = re.search(r'<script id="stored-sources" type="application/json">(.*?)</script>', page)
    assert found, "the page carries the citation panel's data"
    return json.loads(found.group(1))


def _web(world) -> str:
    return world.session("ann").get(f"/c/{world.conversation.id}/").content.decode()


def _api(world) -> dict:
    response = world.api("ann").get(f"/api/v1/conversations/{world.conversation.id}")
    assert response.status_code == 200
    return response.json()["messages"][1]


def test_a_user_taken_out_of_a_group_no_longer_reads_its_passages_in_old_answers(world):
    before_web, before_api = _web(world), _api(world)

    removed = _set_groups(world, "ann", [])
    page, answer = _web(world), _api(world)

    assert "987654" in before_web and "987654" in before_api["text"]
    assert before_api["citations"][0]["text"] == A_SECRET
    assert removed == 302
    assert "987654" not in page
    assert WITHHELD in page
    assert _panel_sources(page) == {
        str(world.answer.id): [
            {
                **{
                    k: UNAVAILABLE[k]
                    for k in ("number", "document_id", "title", "page", "heading", "text")
                },
                "marks": [],  # nothing of a withheld passage is marked
            }
        ]
    }
    assert answer["text"] == WITHHELD
    assert answer["citations"] == [UNAVAILABLE]


def test_access_given_back_shows_the_answer_again(world):
    _set_groups(world, "ann", [])
    _set_groups(world, "ann", ["A"])

    answer = _api(world)

    assert answer["text"] == "The figure is 987654 [1]."
    assert answer["citations"][0]["text"] == A_SECRET


def test_a_document_restricted_away_from_the_user_is_withheld_too(world):
    document = world.documents["A"]
    document.collection.allowed_groups.add(world.groups["B"])
    restricted = world.session("sam").post(
        f"/console/documents/{document.id}/groups", {"groups": [str(world.groups["B"].id)]}
    )

    answer = _api(world)

    assert restricted.status_code == 302
    assert answer["text"] == WITHHELD
    assert answer["citations"] == [UNAVAILABLE]
    assert world.api("sam").get(f"/api/v1/documents/{document.id}").status_code == 200
