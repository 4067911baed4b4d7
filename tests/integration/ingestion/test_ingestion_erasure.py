"""Deleting a document or a collection is erasure: vectors, originals and rows go.

Checked by searching the deleted documents' exact sentences afterwards: through
search and chat here, through the REST API in tests/integration/api, and at
the store level on Qdrant Edge and qdrant-client local mode.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import (
    DocumentMeta,
    EmbeddingConfig,
    Indexer,
    SearchConfig,
    Searcher,
    StoreConfig,
    load_embedder,
    open_store,
)
from tests.support.documents import (
    BADGE_SENTENCE,
    LEAVE_SENTENCE,
    PARKING_SENTENCE,
    make_handbook_pdf,
    make_security_docx,
)
from webapp.audit.models import AuditEvent
from webapp.chat.events import event_data
from webapp.chat.services import conversation_ask, search_passages
from webapp.knowledge.index_engines import get_store
from webapp.knowledge.models import Collection, Document
from webapp.knowledge.services import collection_delete, document_delete

pytestmark = [pytest.mark.integration]

CANTEEN = "The canteen on the third floor closes at half past two on Fridays."
# Every sentence of the handbook (tests/support/documents.py).
HANDBOOK_SENTENCES = (
    "Welcome to the company. This handbook explains how we work together.",
    LEAVE_SENTENCE,
    "Leave requests are approved by your manager in the HR portal.",
    PARKING_SENTENCE,
)


def _chat_sources(user, question: str, **scope) -> tuple[set[int], set[int], str]:
    """Document ids shown as sources and cited by one chat answer, and its text."""
    events = [
        event_data(e) | {"event": e.name}
        for e in conversation_ask(user=user, question=question, **scope)
    ]
    sources = next(e for e in events if e["event"] == "sources")["sources"]
    done = next(e for e in events if e["event"] in ("done", "error"))
    # The done event numbers the sources as its text cites them.
    cited = {
        s["document_id"]
        for s in done.get("sources", [])
        if s["number"] in done.get("citations", [])
    }
    return {s["document_id"] for s in sources}, cited, done.get("text", "")


@pytest.mark.django_db(transaction=True)
def test_deleting_one_document_erases_it_from_search_and_chat(
    tmp_path, admin, reader, make_collection, upload, wait_indexed
):
    hr = make_collection("HR")
    handbook = upload(hr, make_handbook_pdf(tmp_path / "handbook.pdf"))
    security = upload(hr, make_security_docx(tmp_path / "security.docx"))
    wait_indexed([handbook.id, security.id])
    shown, cited, text = _chat_sources(reader, "How many days of paid annual leave do we get?")
    assert handbook.id in cited and "twenty-seven" in text  # found before: the test can fail
    stored, handbook_id = Path(handbook.stored_path), handbook.id

    document_delete(document=handbook, actor=admin)

    for user in (reader, admin):
        for sentence in HANDBOOK_SENTENCES:
            hits = search_passages(user=user, query=sentence, collection_ids=[hr.id])
            assert handbook_id not in {p.document_id for p in hits}
            assert all(sentence not in " ".join(p.text.split()) for p in hits)
            shown, cited, text = _chat_sources(user, sentence)
            assert handbook_id not in shown | cited
        # Within the collection (other tests' copies of the handbook live elsewhere).
        shown, cited, text = _chat_sources(
            user, "How many days of paid annual leave do we get?", collection_ids=[hr.id]
        )
        assert handbook_id not in shown | cited and "twenty-seven" not in text
    assert get_store().count(document_id=handbook_id) == 0
    assert not stored.exists() and not Document.objects.filter(id=handbook_id).exists()
    # The rest of the collection is untouched.
    assert search_passages(user=reader, query=BADGE_SENTENCE)[0].document_id == security.id


@pytest.mark.django_db(transaction=True)
def test_deleting_a_collection_erases_its_documents_everywhere(
    tmp_path, admin, reader, make_collection, upload, wait_indexed
):
    doomed = make_collection("Doomed")
    kept = make_collection("Kept")
    handbook = upload(doomed, make_handbook_pdf(tmp_path / "handbook.pdf"))
    security = upload(doomed, make_security_docx(tmp_path / "security.docx"))
    (tmp_path / "canteen.txt").write_text(CANTEEN)
    canteen = upload(kept, tmp_path / "canteen.txt")
    wait_indexed([handbook.id, security.id, canteen.id])
    stored = [Path(d.stored_path) for d in (handbook, security)]
    assert search_passages(user=reader, query=LEAVE_SENTENCE)[0].document_id == handbook.id

    doomed_id = doomed.id
    erased = collection_delete(collection=doomed, actor=admin)

    assert erased == 2
    erased_ids = {handbook.id, security.id}
    for sentence in (LEAVE_SENTENCE, PARKING_SENTENCE, BADGE_SENTENCE):
        # Admins read everything (the session's index also holds other tests' copies).
        hits = search_passages(user=admin, query=sentence)
        assert {p.document_id for p in hits} & erased_ids == set()
        assert all(p.collection_id != doomed_id for p in hits)
        events = [
            event_data(e) | {"event": e.name}
            for e in conversation_ask(user=admin, question=sentence)
        ]
        sources = next(e for e in events if e["event"] == "sources")["sources"]
        assert {s["document_id"] for s in sources} & erased_ids == set()
    assert [get_store().count(document_id=i) for i in erased_ids] == [0, 0]
    assert not any(path.exists() for path in stored)
    assert not Document.objects.filter(id__in=erased_ids).exists()
    assert not Collection.objects.filter(name="Doomed").exists()
    assert AuditEvent.objects.filter(kind="collection.delete").count() == 1
    assert search_passages(user=reader, query=CANTEEN)[0].document_id == canteen.id


@pytest.fixture(scope="module")
def embedder():
    return load_embedder(EmbeddingConfig(threads=2))


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_erased_documents_are_not_found_on_either_store_adapter(tmp_path, embedder, kind):
    store = open_store(StoreConfig(kind=kind, path=tmp_path / kind), dimension=embedder.dimension)
    try:
        indexer = Indexer(store=store, embedder=embedder)
        files = {
            1: (make_handbook_pdf(tmp_path / "handbook.pdf"), 10),
            2: (make_security_docx(tmp_path / "security.docx"), 10),
            3: (tmp_path / "canteen.txt", 20),
        }
        (tmp_path / "canteen.txt").write_text(CANTEEN)
        for document_id, (path, collection_id) in files.items():
            meta = DocumentMeta(
                document_id=document_id,
                collection_id=collection_id,
                group_ids=(7,),
                title=path.stem,
                sha256=str(document_id),
            )
            indexer.index_file(path, meta=meta)
        searcher = Searcher(store=store, embedder=embedder, config=SearchConfig())

        for document_id in (1, 2):  # what collection_delete does, document by document
            indexer.delete_document(document_id)

        assert store.count() == store.count(document_id=3) == 1
        for sentence in (LEAVE_SENTENCE, PARKING_SENTENCE, BADGE_SENTENCE):
            hits = searcher.search(sentence, allowed_group_ids=[7], limit=10)
            assert {p.document_id for p in hits} <= {3}
            assert all(sentence not in p.text for p in hits)
        assert searcher.search(CANTEEN, allowed_group_ids=[7])[0].document_id == 3
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["edge", "local"])
def test_deleting_a_document_leaves_its_reused_copy_and_nothing_of_itself(tmp_path, embedder, kind):
    """A copy made from a document's stored vectors is a document of its own."""
    store = open_store(StoreConfig(kind=kind, path=tmp_path / kind), dimension=embedder.dimension)
    try:
        indexer = Indexer(store=store, embedder=embedder)
        path = make_handbook_pdf(tmp_path / "handbook.pdf")
        original = DocumentMeta(1, 10, (7,), "Staff Handbook", "ab" * 32)
        chunks = indexer.index_file(path, meta=original).chunk_count
        copy = DocumentMeta(2, 20, (8,), "Staff Handbook", "ab" * 32)
        assert indexer.copy_document(1, meta=copy, chunk_count=chunks) is not None
        searcher = Searcher(store=store, embedder=embedder, config=SearchConfig())

        indexer.delete_document(1)

        assert (store.count(document_id=1), store.count(document_id=2)) == (0, chunks)
        for sentence in HANDBOOK_SENTENCES:
            assert searcher.search(sentence, allowed_group_ids=[7, 8], collection_ids=[10]) == []
            hits = searcher.search(sentence, allowed_group_ids=[7, 8], limit=10)
            assert hits and {p.document_id for p in hits} == {2}
        assert list(store.document_points(1)) == []
    finally:
        store.close()
