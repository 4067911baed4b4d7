"""The chat page: its sidebar, collection picker and stored history; the ask endpoint's gate."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from webapp.chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def _source(number: int, document_id: int, title: str, page: int | None, text: str) -> dict:
    return {
        "number": number,
        "document_id": document_id,
        "title": title,
        "page": page,
        "text": text,
    }


def test_chat_page_offers_only_the_collections_the_user_may_read(
    client_as, member, hr_collection, finance_collection
):
    response = client_as(member).get("/")

    assert response.status_code == 200
    assert [c.name for c in response.context["collections"]] == ["HR policies"]
    html = response.content.decode()
    assert f'name="collection_ids" value="{hr_collection.id}"' in html
    assert f'value="{finance_collection.id}"' not in html
    assert "Finance" not in html


def test_staff_see_every_collection(client_as, admin_user, hr_collection, finance_collection):
    response = client_as(admin_user).get("/")

    assert [c.name for c in response.context["collections"]] == ["Finance", "HR policies"]


def test_sidebar_lists_only_the_users_own_conversations(client_as, member, outsider):
    Conversation.objects.create(user=member, title="Parental leave")
    Conversation.objects.create(user=outsider, title="Travel budget")

    response = client_as(member).get("/")

    assert [c.title for c in response.context["conversations"]] == ["Parental leave"]
    assert "Travel budget" not in response.content.decode()


def test_conversation_of_another_user_is_404(client_as, member, outsider):
    theirs = Conversation.objects.create(user=outsider, title="Travel budget")

    response = client_as(member).get(f"/c/{theirs.id}/")

    assert response.status_code == 404
    assert "Travel budget" not in response.content.decode()


def test_history_renders_answers_as_text_with_citation_chips(client_as, member, hr_pdf):
    conversation = Conversation.objects.create(user=member, title="Leave")
    Message.objects.create(conversation=conversation, role="user", text="How long is leave?")
    cited = _source(2, hr_pdf.id, "Employee handbook", 4, "Leave lasts <b>20</b> days.")
    answer = Message.objects.create(
        conversation=conversation,
        role="assistant",
        text='Twenty days [2]. <script>alert("x")</script><img src=x onerror=alert(1)> [9]',
        citations=[cited],
        backend="extractive",
        notice="extractive",
        grounded=True,
    )

    response = client_as(member).get(f"/c/{conversation.id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
        in html
    )
    assert (
        '<div class="answer-text">Twenty days '
        '<button type="button" class="citation" data-number="2" '
        'aria-label="Source 2: Employee handbook">2</button>. ' in html
    )
    # [9] was not a cited source: it stays plain text.
    assert "&gt; [9]</div>" in html
    assert "Extractive answer" in html
    stored = json.loads(
        html.split('<script id="stored-sources" type="application/json">')[1].split("</script>")[0]
    )
    assert stored == {str(answer.id): [{**cited, "heading": None, "marks": []}]}


def test_ask_endpoint_refuses_anonymous_users_with_json():
    response = Client().post("/chat/ask", data={"question": "hi"}, content_type="application/json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_ask_endpoint_rejects_a_malformed_body(client_as, member):
    response = client_as(member).post(
        "/chat/ask",
        data={"question": "hi", "collection_ids": "all"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "collection_ids must be a list of integers.",
    }


def test_asking_in_another_users_conversation_is_404_and_stores_nothing(
    client_as, member, outsider
):
    theirs = Conversation.objects.create(user=outsider, title="Travel budget")

    response = client_as(member).post(
        "/chat/ask",
        data={"question": "What is in here?", "conversation_id": theirs.id, "collection_ids": []},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Conversation not found."}
    assert Message.objects.count() == 0
    assert Conversation.objects.filter(user=member).count() == 0
