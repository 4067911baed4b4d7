"""Each conversation records its channel: the web sidebar keeps to the web chat's by default,
and the audit log names the channel of each question."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re

import pytest
from django.test import Client

from webapp.accounts.services import token_create
from webapp.audit.models import AuditEvent
from webapp.chat.models import Conversation
from webapp.core.permissions import SYSTEM

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]


def _drain(stream) -> None:
    """Read the web chat's answer stream to its end (an async iterator under ASGI)."""
    if hasattr(stream, "__aiter__"):

        async def read() -> None:
            async for _chunk in stream:
                pass

        asyncio.run(read())
    else:
        list(stream)


def _ask_everywhere(member) -> None:
    """One question from the web chat, the REST API, the terminal (through the API) and /v1."""
    _token, raw = token_create(user=member, name="script", scopes=["ask"], actor=SYSTEM)
    web = Client()
    web.force_login(member)
    streamed = web.post("/chat/ask", {"question": "Web question?"}, content_type="application/json")
    assert streamed.status_code == 200
    _drain(streamed.streaming_content)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    api = Client()
    for question, extra in (
        ("API question?", {}),
        ("Terminal question?", {"HTTP_X_ENCLAVE_CHANNEL": "cli"}),
    ):
        answered = api.post(
            "/api/v1/ask",
            {"question": question, "stream": False},
            content_type="application/json",
            **bearer,
            **extra,
        )
        assert answered.status_code == 200, answered.content
    completion = api.post(
        "/v1/chat/completions",
        {"model": "enclave", "messages": [{"role": "user", "content": "OpenAI question?"}]},
        content_type="application/json",
        **bearer,
    )
    assert completion.status_code == 200, completion.content


def _sidebar(html: str) -> list[tuple[str, str]]:
    block = html.split('id="conversation-list">')[1].split("</ul>")[0]
    return re.findall(r'<li data-channel="(\w+)"><a [^>]*>([^<]+)', block)


def test_api_terminal_and_v1_conversations_stay_out_of_the_sidebar_unless_asked_for(
    client_as, member, admin_user
):
    _ask_everywhere(member)

    channels = dict(Conversation.objects.values_list("title", "channel"))
    assert channels == {
        "Web question?": "web",
        "API question?": "api",
        "Terminal question?": "cli",
        "OpenAI question?": "v1",
    }
    client = client_as(member)
    assert _sidebar(client.get("/").content.decode()) == [("web", "Web question?")]
    everything = client.get("/?all=1").content.decode()
    assert [channel for channel, _title in _sidebar(everything)] == ["v1", "cli", "api", "web"]
    assert '<span class="tag channel-tag">Terminal</span>' in everything
    pt = client.get("/?all=1", HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    assert '<span class="tag channel-tag">Terminal</span>' in pt
    assert "Apenas conversas do chat web" in pt

    asked = AuditEvent.objects.filter(kind="ask").order_by("id")
    assert [(e.detail["question"], e.detail["channel"]) for e in asked] == [
        ("Web question?", "web"),
        ("API question?", "api"),
        ("Terminal question?", "cli"),
        ("OpenAI question?", "v1"),
    ]
    audit = client_as(admin_user).get("/console/audit/?kind=ask").content.decode()
    tags = re.findall(r'data-channel="(\w+)">([^<]+)<', audit)
    assert tags == [("v1", "OpenAI API"), ("cli", "Terminal"), ("api", "API"), ("web", "Web chat")]
    exported = client_as(admin_user).get("/console/audit.csv?kind=ask")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))[1:]
    assert [json.loads(row[-1])["channel"] for row in rows] == ["v1", "cli", "api", "web"]
