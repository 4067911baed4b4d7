"""The whole path on real parts: upload -> Celery worker -> Qdrant -> permission-filtered answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from tests.support.documents import (
    BADGE_SENTENCE,
    LEAVE_SENTENCE,
    make_corrupt_pdf,
    make_handbook_pdf,
    make_security_docx,
    wait_for_groups_applied,
)
from webapp.chat.events import event_data
from webapp.chat.services import conversation_ask, search_passages
from webapp.knowledge.index_engines import get_store
from webapp.knowledge.models import Document
from webapp.knowledge.services import (
    collection_create,
    collection_set_groups,
    document_create,
    document_delete,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PORTUGUESE_POLICY = Path(__file__).resolve().parents[1] / "fixtures" / "pt" / "ferias.md"


@pytest.fixture
def people():
    hr, eng = Group.objects.create(name="hr"), Group.objects.create(name="eng")
    admin = User.objects.create_user("root-admin", password="x", is_staff=True)
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(hr)
    bob = User.objects.create_user("bob", password="x")
    bob.groups.add(eng)
    return {"hr": hr, "eng": eng, "admin": admin, "alice": alice, "bob": bob}


def _upload(collection, path, actor):
    with transaction.atomic(), path.open("rb") as handle:
        document, created = document_create(
            collection=collection, filename=path.name, content=handle, actor=actor
        )
    return document, created


def _ask(user, question):
    events = [
        event_data(e) | {"event": e.name} for e in conversation_ask(user=user, question=question)
    ]
    sources = next(e for e in events if e["event"] == "sources")["sources"]
    done = next(e for e in events if e["event"] in ("done", "error"))
    deltas = "".join(e["text"] for e in events if e["event"] == "delta")
    return sources, done, deltas


def test_upload_index_and_answer_with_the_right_page(people, tmp_path, wait_indexed):
    hr_docs = collection_create(name="HR", group_ids=[people["hr"].id], actor=people["admin"])
    pdf, _ = _upload(hr_docs, make_handbook_pdf(tmp_path / "handbook.pdf"), people["admin"])
    docx, _ = _upload(hr_docs, make_security_docx(tmp_path / "security.docx"), people["admin"])
    rows = wait_indexed([pdf.id, docx.id])
    assert {rows[pdf.id].status, rows[docx.id].status} == {"indexed"}
    assert rows[pdf.id].chunk_count == get_store().count(document_id=pdf.id) > 0
    assert rows[pdf.id].progress_done == rows[pdf.id].progress_total == rows[pdf.id].chunk_count

    sources, done, streamed = _ask(
        people["alice"], "How many days of paid annual leave do employees get?"
    )
    assert done["event"] == "done"
    cited = [s for s in sources if s["number"] in done["citations"]]
    assert cited, done
    assert cited[0]["document_id"] == pdf.id
    assert cited[0]["page"] == 2
    assert "twenty-seven days" in done["text"]
    assert streamed.strip() != ""

    sources, done, _ = _ask(people["alice"], "What must happen when a security badge is lost?")
    assert sources[0]["document_id"] == docx.id
    assert BADGE_SENTENCE.split(" must")[0] in sources[0]["text"]


def test_user_without_the_group_gets_no_passage(people, tmp_path, wait_indexed):
    hr_docs = collection_create(
        name="HR private", group_ids=[people["hr"].id], actor=people["admin"]
    )
    pdf, _ = _upload(hr_docs, make_handbook_pdf(tmp_path / "handbook.pdf"), people["admin"])
    wait_indexed([pdf.id])

    assert search_passages(user=people["bob"], query=LEAVE_SENTENCE) == []
    sources, done, _ = _ask(people["bob"], "How many days of paid annual leave do employees get?")
    assert sources == []
    assert done["grounded"] is False and done["citations"] == []
    assert "twenty-seven" not in done["text"]

    # Granting the group reaches the points through the worker, without re-embedding.
    collection_set_groups(
        collection=hr_docs, group_ids=[people["hr"].id, people["eng"].id], actor=people["admin"]
    )
    wait_for_groups_applied(hr_docs.id)
    assert search_passages(user=people["bob"], query=LEAVE_SENTENCE)[0].document_id == pdf.id
    collection_set_groups(collection=hr_docs, group_ids=[people["hr"].id], actor=people["admin"])
    wait_for_groups_applied(hr_docs.id)
    assert search_passages(user=people["bob"], query=LEAVE_SENTENCE) == []


def test_corrupt_pdf_fails_alone_with_a_reason(people, tmp_path, wait_indexed):
    docs = collection_create(name="Mixed", group_ids=[people["hr"].id], actor=people["admin"])
    bad, _ = _upload(docs, make_corrupt_pdf(tmp_path / "broken.pdf"), people["admin"])
    good, _ = _upload(docs, make_security_docx(tmp_path / "security.docx"), people["admin"])
    rows = wait_indexed([bad.id, good.id])
    assert rows[bad.id].status == "failed"
    assert "PDF" in rows[bad.id].error_message and len(rows[bad.id].error_message) < 300
    assert get_store().count(document_id=bad.id) == 0
    assert rows[good.id].status == "indexed"


def test_same_file_twice_is_embedded_once(people, tmp_path, wait_indexed):
    docs = collection_create(name="Dedup", group_ids=[people["hr"].id], actor=people["admin"])
    path = make_security_docx(tmp_path / "security.docx")
    first, created_first = _upload(docs, path, people["admin"])
    second, created_second = _upload(docs, path, people["admin"])
    assert (created_first, created_second) == (True, False)
    assert second.id == first.id
    wait_indexed([first.id])
    assert Document.objects.filter(collection=docs).count() == 1


def test_deleted_document_is_never_retrieved_again(people, tmp_path, wait_indexed):
    docs = collection_create(name="Erase", group_ids=[people["hr"].id], actor=people["admin"])
    pdf, _ = _upload(docs, make_handbook_pdf(tmp_path / "handbook.pdf"), people["admin"])
    wait_indexed([pdf.id])
    assert search_passages(user=people["alice"], query=LEAVE_SENTENCE)[0].document_id == pdf.id

    document_delete(document=Document.objects.get(id=pdf.id), actor=people["admin"])

    assert get_store().count(document_id=pdf.id) == 0
    assert all(
        p.document_id != pdf.id for p in search_passages(user=people["alice"], query=LEAVE_SENTENCE)
    )
    assert not Document.objects.filter(id=pdf.id).exists()


def test_a_document_restricted_below_its_collection_stays_restricted(
    people, tmp_path, wait_indexed
):
    from webapp.core.errors import NotFoundError
    from webapp.knowledge.selectors import access_document
    from webapp.knowledge.services import document_retry, document_set_groups

    hr, eng, admin = people["hr"], people["eng"], people["admin"]
    docs = collection_create(name="Shared", group_ids=[hr.id, eng.id], actor=admin)
    pdf, _ = _upload(docs, make_handbook_pdf(tmp_path / "handbook.pdf"), admin)
    wait_indexed([pdf.id])
    assert search_passages(user=people["bob"], query=LEAVE_SENTENCE)[0].document_id == pdf.id

    document_set_groups(document=pdf, group_ids=[hr.id], actor=admin)

    def bob_sees_it() -> bool:
        return any(
            p.document_id == pdf.id
            for p in search_passages(user=people["bob"], query=LEAVE_SENTENCE)
        )

    assert not bob_sees_it()
    with pytest.raises(NotFoundError):
        access_document(user=people["bob"], document_id=pdf.id)
    assert access_document(user=people["alice"], document_id=pdf.id).id == pdf.id
    # Neither a collection change nor a re-index widens the restriction again.
    collection_set_groups(collection=docs, group_ids=[hr.id, eng.id], actor=admin)
    wait_for_groups_applied(docs.id)
    assert not bob_sees_it()
    with transaction.atomic():
        document_retry(document=Document.objects.get(id=pdf.id), actor=admin)
    assert wait_indexed([pdf.id])[pdf.id].status == "indexed"
    assert not bob_sees_it()
    assert search_passages(user=people["alice"], query=LEAVE_SENTENCE)[0].document_id == pdf.id


def test_questions_find_answers_written_in_the_other_language(people, tmp_path, wait_indexed):
    # The default embedding model puts English and Portuguese in one space; each
    # question's answer is written only in the other language's document.
    docs = collection_create(name="Bilingual", group_ids=[people["hr"].id], actor=people["admin"])
    handbook, _ = _upload(docs, make_handbook_pdf(tmp_path / "handbook.pdf"), people["admin"])
    ferias, _ = _upload(docs, PORTUGUESE_POLICY, people["admin"])
    wait_indexed([handbook.id, ferias.id])

    pt_sources, pt_done, _ = _ask(
        people["alice"], "Onde fica o estacionamento de bicicletas no escritório?"
    )
    en_sources, en_done, _ = _ask(
        people["alice"], "Into how many periods can an employee split their vacation?"
    )

    pt_cited = [s for s in pt_sources if s["number"] in pt_done["citations"]]
    assert (pt_done["event"], pt_cited[0]["document_id"], pt_cited[0]["page"]) == (
        "done",
        handbook.id,
        3,
    )
    assert "basement of the Lisbon office" in pt_done["text"]
    en_cited = [s for s in en_sources if s["number"] in en_done["citations"]]
    assert (en_done["event"], en_cited[0]["document_id"]) == ("done", ferias.id)
    assert "até três períodos" in en_done["text"]
