"""Document readers and status filter, the usage page, the audit log and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.audit.usage import percentile, usage_summary
from webapp.chat.models import Conversation, Feedback, Message
from webapp.web.charts import bar_chart

pytestmark = pytest.mark.django_db


# --- documents: readers and status filter --------------------------------------


def test_admin_restricts_a_document_to_some_of_its_collections_groups(
    client_as, admin_user, hr_collection, hr_pdf, finance_group, hr_group
):
    legal = hr_group.__class__.objects.create(name="legal")
    hr_collection.allowed_groups.add(legal)
    client = client_as(admin_user)

    response = client.post(f"/console/documents/{hr_pdf.id}/groups", {"groups": [legal.id]})
    refused = client.post(f"/console/documents/{hr_pdf.id}/groups", {"groups": [finance_group.id]})

    assert response.status_code == 302
    assert refused.status_code == 302
    assert list(hr_pdf.allowed_groups.values_list("name", flat=True)) == ["legal"]
    events = AuditEvent.objects.filter(kind="document.groups")
    assert [e.detail for e in events] == [{"document_id": hr_pdf.id, "group_ids": [legal.id]}]
    page = client.get(f"/console/collections/{hr_collection.id}/").content.decode()
    readers = page.split('<td class="doc-readers"')[1].split("</summary>")[0]
    assert '<span class="tag">legal</span>' in readers


def test_non_staff_cannot_restrict_documents(client_as, member, hr_pdf, hr_group):
    response = client_as(member).post(
        f"/console/documents/{hr_pdf.id}/groups", {"groups": [hr_group.id]}
    )

    assert response.status_code == 404
    assert hr_pdf.allowed_groups.count() == 0


def test_documents_filter_by_status(
    client_as, admin_user, hr_collection, hr_pdf, failed_scan, running
):
    client = client_as(admin_user)
    url = f"/console/collections/{hr_collection.id}/"

    def shown(query: str) -> list[int]:
        return [d.id for d in client.get(url + query).context["documents"]]

    assert sorted(shown("")) == sorted([hr_pdf.id, failed_scan.id, running.id])
    assert shown("?status=failed") == [failed_scan.id]
    assert shown("?status=indexed") == [hr_pdf.id]
    assert shown("?status=in_progress") == [running.id]
    assert sorted(shown("?status=nonsense")) == sorted([hr_pdf.id, failed_scan.id, running.id])
    html = client.get(url + "?status=failed").content.decode()
    failed_chip = 'href="?status=failed" aria-current="true">Failed <span class="count"'
    assert failed_chip + ' data-count="failed">1</span>' in html


# --- usage --------------------------------------------------------------------------


def _turn(conversation, question, *, total_ms, grounded, citations=()):
    Message.objects.create(conversation=conversation, role="user", text=question)
    return Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="answer",
        total_ms=total_ms,
        grounded=grounded,
        citations=list(citations),
    )


def test_percentile_is_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([400.0, 100.0, 300.0, 200.0], 0.5) == 200.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_usage_summary_counts_exact_figures(member, outsider, hr_pdf):
    chat = Conversation.objects.create(user=member, title="t")
    cite = {"number": 1, "document_id": hr_pdf.id, "title": "old title"}
    a = _turn(chat, "Leave days?", total_ms=1000, grounded=True, citations=[cite])
    _turn(chat, "Parking rules?", total_ms=3000, grounded=False)
    _turn(chat, "parking  RULES?", total_ms=2000, grounded=False)
    b = _turn(chat, "Sick leave?", total_ms=4000, grounded=True, citations=[cite])
    other = Conversation.objects.create(user=outsider, title="u")
    _turn(other, "Budget?", total_ms=None, grounded=False)
    Feedback.objects.create(message=a, user=member, helpful=True)
    Feedback.objects.create(message=b, user=member, helpful=False)
    Feedback.objects.create(message=b, user=outsider, helpful=True)
    old = Conversation.objects.create(user=member, title="old")
    stale = _turn(old, "Old question?", total_ms=9000, grounded=False)
    Message.objects.filter(conversation=old).update(created_at=timezone.now() - timedelta(days=40))

    summary = usage_summary(days=30)

    assert stale.id  # outside the period: in no figure below
    assert summary.questions == 5
    assert summary.daily[-1].questions == 5
    assert len(summary.daily) == 30
    assert (summary.p50_ms, summary.p95_ms) == (2000.0, 4000.0)
    assert (summary.thumbs_up, summary.thumbs_down) == (2, 1)
    assert summary.unanswered == [("Parking rules?", 2), ("Budget?", 1)]
    assert summary.cited == [(hr_pdf.id, "Employee handbook", 2)]


def test_usage_page_draws_svg_charts_for_admins_only(client_as, admin_user, member):
    chat = Conversation.objects.create(user=member, title="t")
    _turn(chat, "<script>alert(1)</script>", total_ms=1500, grounded=False)

    assert client_as(member).get("/console/usage/").status_code == 404
    response = client_as(admin_user).get("/console/usage/?days=7")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<svg class="chart') == 2
    assert '<p class="stat-value" id="stat-questions">1</p>' in html
    assert '<p class="stat-value" id="stat-p50">1.5 s</p>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_chart_labels_are_escaped():
    svg = str(bar_chart('Q"s <b>', ["<i>"], [3]))

    assert "<b>" not in svg and "<i>" not in svg
    assert 'aria-label="Q&quot;s &lt;b&gt;"' in svg


# --- audit log ----------------------------------------------------------------------


@pytest.fixture
def events(admin_user, member, hr_pdf):
    audit_record(
        kind=AuditEvent.Kind.ASK,
        actor=member,
        detail={
            "question": '=HYPERLINK("http://x")',
            "document_ids": [hr_pdf.id, 999],
            "cited_document_ids": [hr_pdf.id],
        },
    )
    audit_record(
        kind=AuditEvent.Kind.COLLECTION_GROUPS,
        actor=admin_user,
        detail={"collection_id": 1, "group_ids": []},
    )


def test_audit_page_is_for_admins_only(client_as, member, events):
    client = client_as(member)

    assert client.get("/console/audit/").status_code == 404
    assert client.get("/console/audit.csv").status_code == 404


def test_audit_page_shows_questions_and_exposed_documents(client_as, admin_user, events):
    html = client_as(admin_user).get("/console/audit/").content.decode()

    assert html.count('<tr data-kind="') == 2
    ask = html.split('<tr data-kind="ask">')[1].split("</tr>")[0]
    assert "<td>maria</td>" in ask
    assert '<p class="audit-question">=HYPERLINK(&quot;http://x&quot;)</p>' in ask
    assert "Employee handbook ✓" in ask
    assert ">999</span>" in ask


def test_audit_filters_by_kind_and_user(client_as, admin_user, events):
    client = client_as(admin_user)

    by_kind = client.get("/console/audit/?kind=collection.groups").context["rows"]
    by_user = client.get("/console/audit/?user=MARIA").context["rows"]

    assert [r["event"].kind for r in by_kind] == ["collection.groups"]
    assert [r["event"].actor_name for r in by_user] == ["maria"]


def test_audit_kind_filter_lists_each_kind_once(client_as, admin_user, member, events):
    for _ in range(3):  # the same kind again, at other times
        audit_record(kind=AuditEvent.Kind.ASK, actor=member, detail={"question": "again"})
    html = client_as(admin_user).get("/console/audit/").content.decode()

    select = html.split('<select id="audit-kind" name="kind">')[1].split("</select>")[0]
    values = [part.split('"')[0] for part in select.split('<option value="')[1:]]
    assert values == ["", "ask", "collection.groups"]


def test_audit_csv_export_is_filtered_and_spreadsheet_safe(client_as, admin_user, events, hr_pdf):
    response = client_as(admin_user).get("/console/audit.csv?kind=ask")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="enclave-audit-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "time",
        "user",
        "kind",
        "question",
        "document_ids",
        "cited_document_ids",
        "detail",
    ]
    assert len(rows) == 2
    assert rows[1][1:6] == [
        "maria",
        "ask",
        '\'=HYPERLINK("http://x")',
        f"{hr_pdf.id} 999",
        f"{hr_pdf.id}",
    ]
