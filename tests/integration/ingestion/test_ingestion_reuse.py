"""The same file in another collection reuses its stored vectors; anything else is embedded.

Encodes are counted by wrapping the process's real embedder (the live worker
runs in this process and builds its indexer through ``engines.embedder_for``).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from tests.support.documents import LEAVE_SENTENCE, PARKING_SENTENCE, make_handbook_pdf
from webapp.chat.services import search_passages
from webapp.config.settings import reset_settings_cache
from webapp.knowledge import index_engines
from webapp.knowledge.models import Document
from webapp.knowledge.services import collection_create, document_delete

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SHARED = (
    "The quarterly evacuation drill takes place on the first Monday of each quarter "
    "at ten in the morning, and every employee in the building must take part."
)
DRILLS = "The assembly point for the drill is the car park behind building B."
ONBOARDING = "New staff collect their laptop and their access card from IT on their first day."


@pytest.fixture
def finance(admin):
    """A second collection, readable only by the finance group, and an analyst in it."""
    group = Group.objects.create(name="reuse-finance")
    analyst = User.objects.create_user("reuse-analyst", password="x")
    analyst.groups.add(group)
    collection = collection_create(name="Finance", group_ids=[group.id], actor=admin)
    return collection, analyst


def _hits(user, query, collection):
    return [
        (p.text, p.page, p.chunk_index)
        for p in search_passages(user=user, query=query, collection_ids=[collection.id])
    ]


def test_same_file_in_another_collection_reuses_its_vectors_and_outlives_the_original(
    tmp_path, admin, reader, make_collection, upload, wait_indexed, counting, finance
):
    hr = make_collection("HR")
    finance_docs, analyst = finance
    path = make_handbook_pdf(tmp_path / "handbook.pdf")
    first = wait_indexed([upload(hr, path).id]).popitem()[1]
    assert counting.reset() == first.chunk_count > 0
    assert first.vectors_reused_from is None

    second = wait_indexed([upload(finance_docs, path).id]).popitem()[1]

    assert counting.reset() == 0
    chunks = first.chunk_count
    assert (second.status, second.vectors_reused_from) == ("indexed", first.id)
    assert (second.chunk_count, second.progress_done, second.progress_total) == (chunks,) * 3
    assert second.embedding_key == first.embedding_key == index_engines.get_indexer().embedding_key
    assert index_engines.get_store().count(document_id=second.id) == chunks
    in_hr = _hits(reader, LEAVE_SENTENCE, hr)
    assert in_hr and _hits(analyst, LEAVE_SENTENCE, finance_docs) == in_hr
    assert {p.document_id for p in search_passages(user=analyst, query=LEAVE_SENTENCE)} == {
        second.id
    }
    assert _hits(analyst, LEAVE_SENTENCE, hr) == []

    document_delete(document=Document.objects.get(id=first.id), actor=admin)

    assert index_engines.get_store().count(document_id=first.id) == 0
    assert index_engines.get_store().count(document_id=second.id) == chunks
    assert _hits(analyst, PARKING_SENTENCE, finance_docs) == _hits(
        admin, PARKING_SENTENCE, finance_docs
    )
    assert {p.document_id for p in search_passages(user=analyst, query=PARKING_SENTENCE)} == {
        second.id
    }


def test_a_changed_chunking_setting_embeds_again(
    tmp_path, monkeypatch, make_collection, upload, wait_indexed, counting, finance
):
    path = make_handbook_pdf(tmp_path / "handbook.pdf")
    first = wait_indexed([upload(make_collection("HR"), path).id]).popitem()[1]
    counting.reset()
    monkeypatch.setenv("ENCLAVE_CHUNK_TOKENS", "24")
    monkeypatch.setenv("ENCLAVE_CHUNK_OVERLAP_TOKENS", "4")
    reset_settings_cache()
    try:
        second = wait_indexed([upload(finance[0], path).id]).popitem()[1]
    finally:
        monkeypatch.delenv("ENCLAVE_CHUNK_TOKENS")
        monkeypatch.delenv("ENCLAVE_CHUNK_OVERLAP_TOKENS")
        reset_settings_cache()

    assert (second.status, second.vectors_reused_from) == ("indexed", None)
    assert second.embedding_key != first.embedding_key
    assert counting.reset() == second.chunk_count > first.chunk_count


def test_source_with_missing_points_is_embedded_again(
    tmp_path, make_collection, upload, wait_indexed, counting, finance
):
    path = make_handbook_pdf(tmp_path / "handbook.pdf")
    first = wait_indexed([upload(make_collection("HR"), path).id]).popitem()[1]
    index_engines.get_store().delete_document(first.id)  # the row still says indexed
    counting.reset()

    second = wait_indexed([upload(finance[0], path).id]).popitem()[1]

    assert (second.status, second.vectors_reused_from) == ("indexed", None)
    assert counting.reset() == second.chunk_count == first.chunk_count
    assert index_engines.get_store().count(document_id=second.id) == second.chunk_count
    assert search_passages(user=finance[1], query=LEAVE_SENTENCE)[0].document_id == second.id


def test_two_files_sharing_a_paragraph_are_both_kept_and_indexed(
    tmp_path, reader, make_collection, upload, wait_indexed, counting
):
    hr = make_collection("HR")
    (tmp_path / "drills.md").write_text(f"# Drills\n\n{SHARED}\n\n{DRILLS}\n")
    (tmp_path / "onboarding.md").write_text(f"# Onboarding\n\n{SHARED}\n\n{ONBOARDING}\n")
    drills = upload(hr, tmp_path / "drills.md")
    onboarding = upload(hr, tmp_path / "onboarding.md")

    rows = wait_indexed([drills.id, onboarding.id])

    assert drills.id != onboarding.id and drills.sha256 != onboarding.sha256
    assert [(r.status, r.vectors_reused_from) for r in rows.values()] == [("indexed", None)] * 2
    assert counting.reset() == sum(r.chunk_count for r in rows.values()) >= 2
    shared = search_passages(user=reader, query=SHARED, collection_ids=[hr.id])
    assert {p.document_id for p in shared} == {drills.id, onboarding.id}
    assert search_passages(user=reader, query=DRILLS)[0].document_id == drills.id
    assert search_passages(user=reader, query=ONBOARDING)[0].document_id == onboarding.id
