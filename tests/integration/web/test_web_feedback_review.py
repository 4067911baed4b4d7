"""The console's Feedback page: what employees found unhelpful or unanswered, for admins only.

Along the user's path: an employee asks through the web chat (real search,
extractive answers), gives a thumbs down with a comment through the chat's
feedback endpoint, asks something the documents do not cover; the admin's
Feedback page then lists both, each under its kind.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from inference.answering import NOT_FOUND_MESSAGES
from tests.integration.web.conftest import web_chat_ask
from webapp.chat.models import Conversation, Feedback, Message

LEAVE_QUESTION = "How many days of paid annual leave do employees get?"
OFF_TOPIC = "What is the recipe for a chocolate cake with strawberries?"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> list[tuple]:
    """(question, kinds, comment, cited titles, collection names) of each row, in order."""
    return [
        (
            row.question,
            row.kinds,
            row.comment,
            [d.title for d in row.cited],
            [d.collection_name for d in row.cited],
        )
        for row in response.context["rows"]
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_an_employees_thumbs_down_and_comment_reach_the_admins_feedback_page(handbook_reader):
    maria = _client(handbook_reader["maria"])
    done = web_chat_ask(maria, LEAVE_QUESTION)
    assert "twenty-seven days" in done["text"] and done["abstained"] is False
    given = maria.post(
        f"/chat/answers/{done['message_id']}/feedback",
        data=json.dumps({"helpful": False, "comment": "Part-time staff are not covered."}),
        content_type="application/json",
    )
    assert given.status_code == 200
    admin = _client(handbook_reader["admin"])

    down = admin.get("/console/feedback/", {"kind": "thumbs_down"})
    abstained = admin.get("/console/feedback/", {"kind": "abstained"})

    assert down.status_code == 200
    assert _rows(down) == [
        (
            LEAVE_QUESTION,
            ("thumbs_down",),
            "Part-time staff are not covered.",
            ["Staff Handbook"],
            ["HR policies"],
        )
    ]
    [row] = down.context["rows"]
    assert (row.asker, row.message_id) == ("maria", done["message_id"])
    assert "twenty-seven days" in row.excerpt
    html = down.content.decode()
    assert "Part-time staff are not covered." in html
    assert LEAVE_QUESTION in html
    collection_id = handbook_reader["collection"].id
    assert f'<a href="/console/collections/{collection_id}/">Staff Handbook</a>' in html
    assert _rows(abstained) == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_a_question_the_documents_do_not_answer_is_listed_under_abstained(handbook_reader):
    maria = _client(handbook_reader["maria"])
    done = web_chat_ask(maria, OFF_TOPIC)
    answered = web_chat_ask(maria, LEAVE_QUESTION)
    assert done["abstained"] is True and done["text"] == NOT_FOUND_MESSAGES["en"]
    assert answered["abstained"] is False
    admin = _client(handbook_reader["admin"])

    abstained = admin.get("/console/feedback/", {"kind": "abstained"})
    everything = admin.get("/console/feedback/")

    assert _rows(abstained) == [(OFF_TOPIC, ("abstained",), "", [], [])]
    assert "No source cited" in abstained.content.decode()
    # The answered question has no thumbs down and is backed by its passage: not listed.
    assert _rows(everything) == [(OFF_TOPIC, ("abstained",), "", [], [])]


@pytest.fixture
def answers(member, hr_pdf) -> dict[str, Message]:
    """Stored answers of each kind in one of maria's conversations, oldest first."""
    conversation = Conversation.objects.create(user=member, title="Leave")
    cited = [{"number": 1, "document_id": hr_pdf.id, "title": "Old title", "page": 2}]
    made = {}
    for name, fields in (
        ("good", {"grounded": True, "citations": cited}),
        ("disliked", {"grounded": True, "citations": cited}),
        ("abstained", {"abstained": True}),
        ("uncited", {"grounded": False}),
        ("unsupported", {"grounded": True, "citations": cited, "sentences_unsupported": 2}),
        ("failed", {"error_code": "model_unavailable", "text": ""}),
    ):
        Message.objects.create(conversation=conversation, role="user", text=f"Question {name}?")
        made[name] = Message.objects.create(
            conversation=conversation,
            role="assistant",
            **{"text": f"Answer {name} [1].", **fields},
        )
    Feedback.objects.create(message=made["disliked"], user=member, helpful=False, comment="Wrong")
    Feedback.objects.create(message=made["good"], user=member, helpful=True, comment="Great")
    return made


@pytest.mark.django_db
def test_each_kind_filters_the_stored_answers_newest_first(client_as, admin_user, answers):
    client = client_as(admin_user)

    def questions(kind: str) -> list[str]:
        response = client.get("/console/feedback/", {"kind": kind})
        assert response.status_code == 200
        return [row.question for row in response.context["rows"]]

    assert questions("thumbs_down") == ["Question disliked?"]
    assert questions("abstained") == ["Question abstained?"]
    assert questions("weak") == ["Question unsupported?", "Question uncited?"]
    assert questions("") == [
        "Question unsupported?",
        "Question uncited?",
        "Question abstained?",
        "Question disliked?",
    ]
    # An unknown kind shows every kind.
    assert questions("everything") == questions("")


@pytest.mark.django_db
def test_a_cited_document_is_named_by_its_current_title(client_as, admin_user, answers, hr_pdf):
    response = client_as(admin_user).get("/console/feedback/", {"kind": "thumbs_down"})

    [row] = response.context["rows"]
    [document] = row.cited
    assert (document.title, document.page, document.collection_name) == (
        "Employee handbook",
        2,
        "HR policies",
    )


@pytest.mark.django_db
def test_the_page_holds_25_answers_and_links_to_the_older_ones(client_as, admin_user, member):
    conversation = Conversation.objects.create(user=member, title="Many")
    for n in range(27):
        Message.objects.create(conversation=conversation, role="user", text=f"Q{n}?")
        Message.objects.create(
            conversation=conversation, role="assistant", text="Not found.", abstained=True
        )
    client = client_as(admin_user)

    first = client.get("/console/feedback/", {"kind": "abstained"})
    second = client.get("/console/feedback/", {"kind": "abstained", "page": 2})

    assert [r.question for r in first.context["rows"]] == [f"Q{n}?" for n in range(26, 1, -1)]
    assert [r.question for r in second.context["rows"]] == ["Q1?", "Q0?"]
    assert 'href="?kind=abstained&amp;page=2"' in first.content.decode()


@pytest.mark.django_db
def test_only_admins_see_the_feedback_page(client_as, member, answers):
    assert client_as(member).get("/console/feedback/").status_code == 404
    anonymous = Client().get("/console/feedback/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_console_nav_links_to_the_feedback_page(client_as, admin_user):
    html = client_as(admin_user).get("/console/feedback/").content.decode()

    assert '<a href="/console/feedback/" aria-current="page">Feedback</a>' in html


@pytest.mark.django_db
def test_the_page_speaks_portuguese(client_as, admin_user, answers):
    client = client_as(admin_user)

    html = client.get("/console/feedback/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()

    assert "<h1>Avaliações</h1>" in html
    assert '<option value="abstained">Não encontrado nos documentos</option>' in html
    assert '<span class="tag review-tag" data-kind="weak">Pouco sustentada</span>' in html
    assert '<span class="tag review-tag" data-kind="thumbs_down">Pouco útil</span>' in html


@pytest.mark.django_db
def test_the_page_reads_in_the_same_queries_for_one_answer_or_a_full_page(
    client_as, admin_user, member, answers, hr_pdf
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(admin_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/console/feedback/", {"kind": "thumbs_down"}).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(30):
        Feedback.objects.create(
            message=Message.objects.create(
                conversation=answers["good"].conversation,
                role="assistant",
                text="More [1].",
                citations=[{"number": 1, "document_id": hr_pdf.id, "title": "t"}],
            ),
            user=member,
            helpful=False,
        )

    # The signed-in user, the count, the page, the documents, the collections (5 here).
    assert one == queries() and one <= 5
