"""Regenerating the last answer, editing the last question, and the marked passage sentence."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.integration.web.conftest import web_chat_ask
from tests.support.documents import LEAVE_SENTENCE, PARKING_SENTENCE
from webapp.audit.models import AuditEvent
from webapp.chat.models import Conversation, Message
from webapp.web.passage_marks import passage_marks

LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
PARKING_QUESTION = "Where can staff park their bicycles?"


def _ask_again(client: Client, first: dict, question: str) -> dict:
    """Ask ``question`` in place of ``first`` (regenerate, or an edited question)."""
    return web_chat_ask(
        client, question, conversation_id=first["conversation_id"], replace=first["message_id"]
    )


def _turns(conversation_id: int) -> list[tuple[str, str]]:
    return [
        (m.role, m.text)
        for m in Message.objects.filter(conversation_id=conversation_id).order_by("id")
    ]


def _stored_sources(client: Client, conversation_id: int) -> dict:
    html = client.get(f"/c/{conversation_id}/").content.decode()
    return json.loads(
        html.split('<script id="stored-sources" type="application/json">')[1].split("</script>")[0]
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_regenerate_replaces_the_answer_and_the_cited_sentence_is_marked(
    handbook_reader, client_as
):
    maria = client_as(handbook_reader["maria"])
    first = web_chat_ask(maria, LEAVE_QUESTION)
    conversation_id = first["conversation_id"]

    again = _ask_again(maria, first, LEAVE_QUESTION)

    assert again["conversation_id"] == conversation_id
    assert again["message_id"] != first["message_id"]
    assert _turns(conversation_id) == [("user", LEAVE_QUESTION), ("assistant", again["text"])]
    assert not Message.objects.filter(id=first["message_id"]).exists()
    # Audited like any question: both asks are in the audit log.
    asks = AuditEvent.objects.filter(kind=AuditEvent.Kind.ASK).order_by("id")
    assert [e.detail["message_id"] for e in asks] == [first["message_id"], again["message_id"]]
    assert [e.detail.get("replaces") for e in asks] == [None, first["message_id"]]
    # The cited passage's sentence that backs the answer is marked, live and when stored.
    cited = next(s for s in again["sources"] if s["number"] == again["citations"][0])
    [[start, end]] = cited["marks"]
    assert " ".join(cited["text"][start:end].split()) == LEAVE_SENTENCE
    stored = _stored_sources(maria, conversation_id)[str(again["message_id"])]
    assert [s["marks"] for s in stored if s["number"] == cited["number"]] == [[[start, end]]]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_an_edited_question_replaces_the_last_question_and_its_answer(handbook_reader, client_as):
    maria = client_as(handbook_reader["maria"])
    first = web_chat_ask(maria, LEAVE_QUESTION)
    conversation_id = first["conversation_id"]

    edited = _ask_again(maria, first, PARKING_QUESTION)

    assert _turns(conversation_id) == [("user", PARKING_QUESTION), ("assistant", edited["text"])]
    assert "Bicycle parking is available in the basement" in edited["text"]
    cited = next(s for s in edited["sources"] if s["number"] == edited["citations"][0])
    [[start, end]] = cited["marks"]
    assert " ".join(cited["text"][start:end].split()) == PARKING_SENTENCE


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_regenerating_after_losing_access_no_longer_finds_the_document(handbook_reader, client_as):
    maria_user = handbook_reader["maria"]
    maria = client_as(maria_user)
    first = web_chat_ask(maria, LEAVE_QUESTION)
    assert "twenty-seven days" in first["text"]
    maria_user.groups.clear()  # maria leaves HR

    again = _ask_again(maria, first, LEAVE_QUESTION)

    assert again["abstained"] is True
    assert again["sources"] == []
    assert "twenty-seven" not in again["text"]
    assert _turns(first["conversation_id"]) == [
        ("user", LEAVE_QUESTION),
        ("assistant", again["text"]),
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_the_rest_api_regenerates_and_edits_through_replace(handbook_reader):
    from webapp.accounts.services import token_create

    maria_user = handbook_reader["maria"]
    _token, secret = token_create(user=maria_user, name="ask", scopes=["ask"], actor=maria_user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    first = api.post("/api/v1/ask", {"question": LEAVE_QUESTION}, content_type="application/json")
    conversation_id = first.json()["conversation_id"]
    url = f"/api/v1/conversations/{conversation_id}"

    edited = api.post(
        url,
        {"question": PARKING_QUESTION, "replace": first.json()["message_id"]},
        content_type="application/json",
    )
    stale = api.post(
        url,
        {"question": PARKING_QUESTION, "replace": first.json()["message_id"]},
        content_type="application/json",
    )

    assert edited.status_code == 200, edited.content
    assert "Bicycle parking is available in the basement" in edited.json()["answer"]
    assert _turns(conversation_id) == [
        ("user", PARKING_QUESTION),
        ("assistant", edited.json()["answer"]),
    ]
    assert stale.status_code == 404  # the replaced answer is gone
    assert len(_turns(conversation_id)) == 2


@pytest.fixture
def leave_chat(member) -> dict:
    """Maria's conversation: two questions and their answers."""
    conversation = Conversation.objects.create(user=member, title="Leave")
    ids = []
    for role, text in [
        ("user", "How long is leave?"),
        ("assistant", "Twenty days."),
        ("user", "And parental leave?"),
        ("assistant", "Sixteen weeks."),
    ]:
        ids.append(Message.objects.create(conversation=conversation, role=role, text=text).id)
    return {"conversation": conversation, "ids": ids}


@pytest.mark.django_db
def test_another_users_conversation_cannot_be_regenerated_or_edited(
    client_as, outsider, leave_chat
):
    conversation = leave_chat["conversation"]

    response = client_as(outsider).post(
        "/chat/ask",
        {"question": "Edited", "conversation_id": conversation.id, "replace": leave_chat["ids"][3]},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert len(_turns(conversation.id)) == 4


@pytest.mark.django_db
def test_only_the_last_answer_can_be_replaced(client_as, member, leave_chat):
    conversation = leave_chat["conversation"]

    response = client_as(member).post(
        "/chat/ask",
        {"question": "Edited", "conversation_id": conversation.id, "replace": leave_chat["ids"][1]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Only the last answer of a conversation can be replaced.",
    }
    assert len(_turns(conversation.id)) == 4


@pytest.mark.django_db
def test_replace_needs_its_conversation(client_as, member, leave_chat):
    response = client_as(member).post(
        "/chat/ask",
        {"question": "Edited", "replace": leave_chat["ids"][3]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["message"] == "replace must be an answer id, with its conversation_id."
    assert len(_turns(leave_chat["conversation"].id)) == 4


def test_marks_are_the_passage_sentences_backing_the_cited_answer_sentences():
    text = "Leave lasts <b>twenty</b> days.\nIt carries over once.  Parking is free."
    support = [
        {"sentence": "Leave lasts twenty days", "citations": [1], "supported": True},
        {"sentence": "Parking is free for all", "citations": [2], "supported": True},
        {"sentence": "Leave carries over once", "citations": [1], "supported": False},
    ]

    marks = passage_marks(text, 1, support)

    assert [text[start:end] for start, end in marks] == ["Leave lasts <b>twenty</b> days."]
    assert passage_marks(text, 3, support) == []
