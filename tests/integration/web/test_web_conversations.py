"""Renaming and deleting conversations, feedback on answers: only ever the user's own."""

from __future__ import annotations

import json

import pytest

from webapp.chat.models import Conversation, Feedback, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def leave_chat(member) -> Conversation:
    conversation = Conversation.objects.create(user=member, title="How long is leave?")
    Message.objects.create(conversation=conversation, role="user", text="How long is leave?")
    return conversation


@pytest.fixture
def answer(leave_chat, hr_pdf) -> Message:
    # It cites a document the member may read (answers citing others' are withheld).
    return Message.objects.create(
        conversation=leave_chat,
        role="assistant",
        text="**Twenty** days [1].",
        citations=[
            {"number": 1, "document_id": hr_pdf.id, "title": "Handbook", "page": 2, "text": "x"}
        ],
        grounded=True,
    )


def _feedback(client, message_id: int, body) -> object:
    return client.post(
        f"/chat/answers/{message_id}/feedback",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_rename_changes_the_title_in_the_sidebar(client_as, member, leave_chat):
    client = client_as(member)

    response = client.post(f"/c/{leave_chat.id}/rename", {"title": "  Annual   leave  "})

    assert response.status_code == 302
    assert response["Location"] == f"/c/{leave_chat.id}/"
    leave_chat.refresh_from_db()
    assert leave_chat.title == "Annual leave"
    page = client.get(f"/c/{leave_chat.id}/").content.decode()
    assert f'data-conversation-id="{leave_chat.id}" aria-current="page">Annual leave</a>' in page


def test_an_empty_title_is_refused_and_nothing_changes(client_as, member, leave_chat):
    response = client_as(member).post(f"/c/{leave_chat.id}/rename", {"title": "   "}, follow=True)

    assert "A conversation needs a title." in response.content.decode()
    leave_chat.refresh_from_db()
    assert leave_chat.title == "How long is leave?"


def test_renaming_or_deleting_someone_elses_conversation_is_404(client_as, outsider, leave_chat):
    client = client_as(outsider)

    assert client.post(f"/c/{leave_chat.id}/rename", {"title": "Mine now"}).status_code == 404
    assert client.post(f"/c/{leave_chat.id}/delete").status_code == 404
    leave_chat.refresh_from_db()
    assert leave_chat.title == "How long is leave?"
    assert Message.objects.filter(conversation=leave_chat).count() == 1


def test_rename_and_delete_need_post(client_as, member, leave_chat):
    client = client_as(member)

    assert client.get(f"/c/{leave_chat.id}/rename").status_code == 405
    assert client.get(f"/c/{leave_chat.id}/delete").status_code == 405


def test_delete_erases_the_conversation_its_messages_and_feedback(
    client_as, member, leave_chat, answer
):
    Feedback.objects.create(message=answer, user=member, helpful=True)
    client = client_as(member)

    response = client.post(f"/c/{leave_chat.id}/delete")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Conversation.objects.filter(id=leave_chat.id).exists()
    assert Message.objects.count() == 0
    assert Feedback.objects.count() == 0
    assert client.get(f"/c/{leave_chat.id}/").status_code == 404


def test_thumbs_down_with_a_comment_is_stored_and_shown_again(client_as, member, answer):
    client = client_as(member)

    first = _feedback(client, answer.id, {"helpful": True})
    second = _feedback(client, answer.id, {"helpful": False, "comment": " Missing the source "})

    assert first.status_code == 200
    assert second.json() == {
        "message_id": answer.id,
        "helpful": False,
        "comment": "Missing the source",
    }
    rows = list(Feedback.objects.values_list("user_id", "helpful", "comment"))
    assert rows == [(member.id, False, "Missing the source")]
    page = client.get(f"/c/{answer.conversation_id}/").content.decode()
    stored = json.loads(
        page.split('<script id="stored-feedback" type="application/json">')[1].split("</script>")[0]
    )
    assert stored == {str(answer.id): {"helpful": False, "comment": "Missing the source"}}


def test_feedback_on_someone_elses_answer_is_404_and_stores_nothing(client_as, outsider, answer):
    response = _feedback(client_as(outsider), answer.id, {"helpful": False})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Answer not found."}
    assert Feedback.objects.count() == 0


def test_feedback_on_a_question_is_404(client_as, member, leave_chat):
    question = Message.objects.get(conversation=leave_chat, role="user")

    assert _feedback(client_as(member), question.id, {"helpful": True}).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"helpful": "yes"}, "helpful must be true or false."),
        ({"helpful": True, "comment": 3}, "comment must be a string."),
        ({"helpful": True, "comment": "x" * 2001}, "Comments are limited to 2000 characters."),
    ],
)
def test_malformed_feedback_is_400(client_as, member, answer, body, message):
    response = _feedback(client_as(member), answer.id, body)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": message}
    assert Feedback.objects.count() == 0


def test_the_page_carries_raw_answers_for_markdown_rendering(client_as, member, answer):
    page = client_as(member).get(f"/c/{answer.conversation_id}/").content.decode()

    stored = json.loads(
        page.split('<script id="stored-answers" type="application/json">')[1].split("</script>")[0]
    )
    assert stored == {str(answer.id): "**Twenty** days [1]."}
    assert 'id="stop-button"' in page
    assert 'src="/static/web/markdown.js"' in page
