"""The MCP server at ``/mcp`` through the official ``mcp`` SDK's client, against ``enclave serve``.

The tools act as the API token the client sends, with its scopes and its user's
groups: alice (hr) finds the handbook, nia (no group) finds nothing, a read-only
token may search but not ask, a token with neither scope or no token at all is
refused at the door.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.integration.api.conftest import ApiSite

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"


@asynccontextmanager
async def mcp_client(site: ApiSite, who: str):
    """An MCP client session at ``/mcp`` with the named token."""
    headers = {"Authorization": f"Bearer {site.tokens[who]}"}
    url = f"{site.url}/mcp"
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def _json(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


async def test_tools_are_listed_with_their_arguments(api_site):
    async with mcp_client(api_site, "alice") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert sorted(tools) == ["ask", "search"]
    assert tools["search"].input_schema["required"] == ["query"]
    assert tools["ask"].input_schema["required"] == ["question"]


async def test_search_and_ask_answer_from_what_the_user_may_read(api_site):
    async with mcp_client(api_site, "alice") as client:
        found = _json(await client.call_tool("search", {"query": "paid annual leave", "limit": 2}))
        answer = _json(await client.call_tool("ask", {"question": QUESTION}))

    top = found["passages"][0]
    assert (top["number"], top["document_id"], top["page"]) == (1, api_site.handbook_id, 2)
    assert "twenty-seven days" in top["text"] and len(found["passages"]) <= 2
    assert "twenty-seven days" in answer["answer"] and "[1]" in answer["answer"]
    cited = answer["citations"][0]
    assert (cited["document_id"], cited["page"]) == (api_site.handbook_id, 2)
    assert answer["abstained"] is False and answer["grounded"] is True


async def test_a_user_without_groups_sees_nothing(api_site):
    async with mcp_client(api_site, "nia") as client:
        found = _json(await client.call_tool("search", {"query": "paid annual leave"}))
        answer = _json(await client.call_tool("ask", {"question": QUESTION}))
        foreign = await client.call_tool(
            "search", {"query": "leave", "collection_ids": [api_site.hr_collection_id]}
        )

    assert found == {"passages": []}
    assert answer["abstained"] is True and answer["sources"] == []
    assert "twenty-seven" not in answer["answer"]
    # Another group's collection looks exactly like one that does not exist.
    assert foreign.is_error
    assert foreign.content[0].text == (
        "Error executing tool search: not_found: Collection not found."
    )


async def test_each_tool_needs_its_scope(api_site):
    async with mcp_client(api_site, "alice_read") as client:
        found = _json(await client.call_tool("search", {"query": "paid annual leave"}))
        refused = await client.call_tool("ask", {"question": QUESTION})

    assert found["passages"][0]["document_id"] == api_site.handbook_id
    assert refused.is_error
    assert refused.content[0].text == (
        "Error executing tool ask: insufficient_scope: this token lacks the 'ask' scope."
    )


def test_requests_without_a_usable_token_are_refused(api_site):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"Accept": "application/json, text/event-stream"}
    with httpx.Client(base_url=api_site.url, timeout=30) as http:
        missing = http.post("/mcp", json=ping, headers=accept)
        wrong = http.post("/mcp", json=ping, headers={**accept, "Authorization": "Bearer enc_x"})
        ingest = http.post(
            "/mcp",
            json=ping,
            headers={**accept, "Authorization": f"Bearer {api_site.tokens['alice_ingest']}"},
        )

    assert (missing.status_code, missing.json()["code"]) == (401, "not_authenticated")
    assert missing.headers["www-authenticate"] == 'Bearer realm="enclave"'
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_token")
    assert (ingest.status_code, ingest.json()["code"]) == (403, "insufficient_scope")
