"""An employee searches their own conversations and downloads one as Markdown or PDF.

Along the user's path first (a real answer from the ingested handbook, found by
a word of its answer, exported with its citation as a footnote), then the rules:
only the user's own conversations, never an answer they may no longer read.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.integration.web.conftest import web_chat_ask
from webapp.chat.models import Conversation, Message

LEAVE_QUESTION = "How many days of paid annual leave do employees get?"


def _found(client, query: str) -> list[tuple[str, str]]:
    response = client.get("/chat/search", {"q": query})
    assert response.status_code == 200
    return [(hit.conversation.title, hit.snippet) for hit in response.context["hits"]]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_an_answer_is_found_by_a_word_and_exported_with_its_cited_document(
    handbook_reader, client_as
):
    maria = client_as(handbook_reader["maria"])
    done = web_chat_ask(maria, LEAVE_QUESTION)
    conversation_id = done["conversation_id"]
    other = client_as(handbook_reader["admin"])

    found = _found(maria, "TWENTY-SEVEN")
    export = maria.get(f"/c/{conversation_id}/export.md")

    [(title, snippet)] = found
    assert title == LEAVE_QUESTION and "twenty-seven days of paid annual leave" in snippet
    assert export.status_code == 200
    assert export["Content-Type"] == "text/markdown; charset=utf-8"
    assert export["Content-Disposition"] == (
        'attachment; filename="how-many-days-of-paid-annual-leave-do-employees-get.md"'
    )
    markdown = export.content.decode()
    assert markdown.startswith(f"# {LEAVE_QUESTION}\n")
    assert f"## Question\n\n{LEAVE_QUESTION}\n\n## Answer\n\n" in markdown
    assert "twenty-seven days of paid annual leave" in markdown and "[^1]" in markdown
    assert "\n[^1]: Staff Handbook, p. 2" in markdown
    # Someone else: not found, and the export does not exist for them.
    assert _found(other, "twenty-seven") == []
    assert other.get(f"/c/{conversation_id}/export.md").status_code == 404
    assert other.get(f"/c/{conversation_id}/export.pdf").status_code == 404


@pytest.fixture
def conversations(member, outsider, hr_pdf) -> dict[str, Conversation]:
    """Two of maria's conversations (one answer cites the HR handbook) and one of otto's."""
    leave = Conversation.objects.create(user=member, title="Annual leave")
    Message.objects.create(conversation=leave, role="user", text="How long is leave?")
    Message.objects.create(
        conversation=leave,
        role="assistant",
        text="Leave lasts **twenty** days [1] and carries over once [2]. See also [7].",
        citations=[
            {"number": 1, "document_id": hr_pdf.id, "title": "Employee handbook", "page": 4},
            {"number": 2, "document_id": hr_pdf.id, "title": "Employee handbook", "page": 5},
        ],
        grounded=True,
    )
    Message.objects.create(conversation=leave, role="user", text="And parental leave?")
    Message.objects.create(
        conversation=leave,
        role="assistant",
        text="Parental leave is sixteen weeks [1].",
        citations=[{"number": 1, "document_id": hr_pdf.id, "title": "Employee handbook"}],
        grounded=True,
    )
    travel = Conversation.objects.create(user=member, title="Travel budget")
    Message.objects.create(conversation=travel, role="user", text="Who approves travel?")
    theirs = Conversation.objects.create(user=outsider, title="Twenty questions")
    Message.objects.create(conversation=theirs, role="user", text="Is it twenty?")
    return {"leave": leave, "travel": travel, "theirs": theirs}


@pytest.mark.django_db
def test_search_matches_titles_questions_and_answers_of_the_users_own(
    client_as, member, conversations
):
    client = client_as(member)

    assert _found(client, "TWENTY") == [
        (
            "Annual leave",
            "Leave lasts **twenty** days [1] and carries over once [2]. See also [7].",
        )
    ]
    assert _found(client, "  approves   travel ") == [("Travel budget", "Who approves travel?")]
    assert _found(client, "budget") == [("Travel budget", "")]
    assert _found(client, "questions") == []
    assert _found(client, "") == []


@pytest.mark.django_db
def test_an_answer_the_user_can_no_longer_read_is_not_found_by_its_text(
    client_as, member, hr_group, conversations
):
    member.groups.remove(hr_group)
    client = client_as(member)

    assert _found(client, "sixteen weeks") == []
    # Their own question is still theirs to find.
    assert _found(client, "parental") == [("Annual leave", "And parental leave?")]


@pytest.mark.django_db
def test_the_sidebar_searches_and_the_conversation_offers_its_export(
    client_as, member, conversations
):
    html = client_as(member).get(f"/c/{conversations['leave'].id}/").content.decode()

    assert '<form method="get" action="/chat/search"' in html
    assert f'href="/c/{conversations["leave"].id}/export.md" download' in html
    assert (
        'title="Export (Markdown)">Export<span class="export-format"> (Markdown)</span></a>' in html
    )


@pytest.mark.django_db
def test_the_export_numbers_footnotes_through_the_whole_conversation(
    client_as, member, conversations
):
    response = client_as(member).get(f"/c/{conversations['leave'].id}/export.md")

    markdown = response.content.decode()
    body = markdown.split("exported from Enclave.\n\n", 1)[1]
    assert body == (
        "## Question\n\nHow long is leave?\n\n"
        "## Answer\n\n"
        "Leave lasts **twenty** days [^1] and carries over once [^2]. See also [7].\n\n"
        "## Question\n\nAnd parental leave?\n\n"
        "## Answer\n\nParental leave is sixteen weeks [^3].\n\n"
        "---\n\n"
        "[^1]: Employee handbook, p. 4\n"
        "[^2]: Employee handbook, p. 5\n"
        "[^3]: Employee handbook\n"
    )
    assert response["Content-Disposition"] == 'attachment; filename="annual-leave.md"'


@pytest.mark.django_db
def test_an_answer_the_user_can_no_longer_read_is_exported_withheld(
    client_as, member, hr_group, conversations
):
    member.groups.remove(hr_group)

    markdown = client_as(member).get(f"/c/{conversations['leave'].id}/export.md").content.decode()

    assert "sixteen weeks" not in markdown and "twenty" not in markdown
    assert "This answer drew on a document you can no longer read" in markdown
    # The withheld text cites nothing, so no footnote names the document either.
    assert "[^" not in markdown and "Employee handbook" not in markdown


@pytest.mark.django_db
def test_another_users_export_is_404(client_as, member, conversations):
    response = client_as(member).get(f"/c/{conversations['theirs'].id}/export.md")

    assert response.status_code == 404
    assert "Twenty questions" not in response.content.decode()


@pytest.mark.django_db
def test_search_and_export_speak_portuguese(client_as, member, conversations):
    client = client_as(member)

    found = client.get("/chat/search", {"q": "vinte"}, HTTP_ACCEPT_LANGUAGE="pt")
    export = client.get(
        f"/c/{conversations['travel'].id}/export.md", HTTP_ACCEPT_LANGUAGE="pt"
    ).content.decode()

    assert "Nenhuma das suas conversas contém estas palavras." in found.content.decode()
    assert "exportada do Enclave." in export and "## Pergunta\n\nWho approves travel?" in export


@pytest.mark.django_db
def test_the_pdf_export_holds_the_questions_answers_and_footnotes(client_as, member, conversations):
    response = client_as(member).get(f"/c/{conversations['leave'].id}/export.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="annual-leave.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert reader.metadata.title == "Annual leave"
    for expected in (
        "Question How long is leave?",
        "Answer Leave lasts **twenty** days 1 and carries over once 2. See also [7].",
        "Question And parental leave?",
        "Answer Parental leave is sixteen weeks 3",
        "1 Employee handbook, p. 4",
        "2 Employee handbook, p. 5",
        "3 Employee handbook",
    ):
        assert expected in text, (expected, text)
