"""A collection's document counts leave out documents hidden from the caller.

"Shared" (groups A and B) holds one document, restricted to A: ben (group B)
reads the collection but must not learn that the document exists.
"""

from __future__ import annotations

import re

import pytest

from webapp.knowledge.models import DocumentStatus

pytestmark = pytest.mark.django_db


def _counts(body: dict) -> tuple[int, int, int]:
    return body["document_count"], body["indexed_count"], body["failed_count"]


def test_api_counts_only_documents_the_caller_may_read(world):
    shared = world.collections["shared"].id

    seen = {
        who: _counts(world.api(who).get(f"/api/v1/collections/{shared}").json())
        for who in ("ann", "ben", "sam")
    }
    listed = {c["name"]: _counts(c) for c in world.api("ben").get("/api/v1/collections").json()}

    assert seen == {"ann": (1, 1, 0), "ben": (0, 0, 0), "sam": (1, 1, 0)}
    assert listed == {"B docs": (1, 1, 0), "Shared": (0, 0, 0)}


def test_a_hidden_failed_document_is_not_counted_as_failed_either(world):
    hidden = world.documents["shared_for_A"]
    hidden.status = DocumentStatus.FAILED
    hidden.save(update_fields=["status"])

    ben = world.api("ben").get(f"/api/v1/collections/{world.collections['shared'].id}").json()
    ann = world.api("ann").get(f"/api/v1/collections/{world.collections['shared'].id}").json()

    assert _counts(ben) == (0, 0, 0)
    assert _counts(ann) == (1, 0, 1)


def test_the_chat_page_shows_the_readable_count(world):
    page = world.session("ben").get("/").content.decode()

    shown = dict(
        re.findall(r'<span>([^<]+)</span>\s*<span class="muted small">([^<]+)</span>', page)
    )
    assert shown == {"B docs": "1 document", "Shared": "0 documents"}
