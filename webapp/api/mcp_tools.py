"""Enclave's search and ask as Model Context Protocol tools (the official ``mcp`` SDK).

Each call acts as the API token the HTTP layer (``api/mcp_http.py``) authenticated:
``search`` needs the ``read`` scope and ``ask`` the ``ask`` scope, as on the REST
API, and both go through the same services as the REST API (``search_passages``,
``conversation_ask``), so the token's user sees only what their groups may read.
Results are the REST bodies: ``search`` the passages of ``POST /api/v1/search``,
``ask`` the body of ``POST /api/v1/ask``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from retrieval.errors import RetrievalError
from webapp.accounts.models import ApiScope, ApiToken
from webapp.api.answers import answer_collect
from webapp.api.serializers import MAX_QUESTION_CHARS
from webapp.api.views_knowledge import visible_collection_ids
from webapp.chat.models import Channel
from webapp.chat.selectors import access_conversation
from webapp.chat.services import conversation_ask, passage_as_source, search_passages
from webapp.core.errors import EnclaveError

__all__ = ["TOKEN_SCOPE_KEY", "build_mcp_server"]

logger = logging.getLogger(__name__)

# Where the HTTP layer leaves the authenticated ApiToken in the ASGI scope.
TOKEN_SCOPE_KEY = "enclave.api_token"
MAX_LIMIT = 50
T = TypeVar("T")

INSTRUCTIONS = (
    "Enclave answers from the company's own documents, limited to what your token's "
    "user may read. `search` returns passages with their document, page and score; "
    "`ask` returns an answer whose [n] markers cite the numbered sources it lists."
)

CollectionIds = Annotated[
    list[int] | None,
    Field(description="Only these collections (ids from the REST API); default: all readable."),
]


def _token(ctx: Context, scope: str) -> ApiToken:
    """The call's token, if it carries ``scope``; a tool error otherwise."""
    request = ctx.request_context.request
    token = getattr(request, "scope", {}).get(TOKEN_SCOPE_KEY)
    if not isinstance(token, ApiToken):  # only reachable without the HTTP layer
        raise ToolError("Not authenticated.")
    if not token.has_scope(scope):
        raise ToolError(f"insufficient_scope: this token lacks the '{scope}' scope.")
    return token


async def _run(work: Callable[[], T]) -> T:
    """``work`` (database and model calls) off the event loop; business errors as tool errors."""

    def guarded() -> T:
        try:
            return work()
        except EnclaveError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from exc
        except RetrievalError as exc:
            logger.error("mcp search failed: %s", exc.code)
            raise ToolError("unavailable: the search is unavailable; try again.") from exc
        finally:
            close_old_connections()

    return await sync_to_async(guarded, thread_sensitive=False)()


def _search(token: ApiToken, query: str, limit: int, collection_ids: list[int] | None) -> dict:
    collections = visible_collection_ids(token.user, collection_ids)
    passages = search_passages(
        user=token.user, query=query, collection_ids=collections, limit=limit
    )
    return {"passages": [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]}


def _ask(
    token: ApiToken, question: str, collection_ids: list[int] | None, conversation_id: int | None
) -> dict[str, Any]:
    collections = visible_collection_ids(token.user, collection_ids)
    if conversation_id is not None:
        access_conversation(user=token.user, conversation_id=conversation_id)
    events = conversation_ask(
        user=token.user,
        question=question,
        conversation_id=conversation_id,
        collection_ids=collections,
        channel=Channel.MCP,
    )
    return answer_collect(events)


def build_mcp_server() -> MCPServer:
    """The MCP server with Enclave's ``search`` and ``ask`` tools."""
    server = MCPServer(name="enclave", instructions=INSTRUCTIONS)

    @server.tool(description="Passages of the documents you may read, best first.")
    async def search(
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)],
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 6,
        collection_ids: CollectionIds = None,
    ) -> dict[str, Any]:
        token = _token(ctx, ApiScope.READ)
        return await _run(lambda: _search(token, query, limit, collection_ids))

    @server.tool(
        description="Answer a question from the documents you may read, with numbered "
        "citations ([n] in the answer refers to sources[n-1]); abstained is true when "
        "nothing relevant was found."
    )
    async def ask(
        question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)],
        ctx: Context,
        collection_ids: CollectionIds = None,
        conversation_id: Annotated[
            int | None, Field(description="Continue this conversation (a follow-up).")
        ] = None,
    ) -> dict[str, Any]:
        token = _token(ctx, ApiScope.ASK)
        return await _run(lambda: _ask(token, question, collection_ids, conversation_id))

    return server
