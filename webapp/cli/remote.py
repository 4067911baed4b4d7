"""``enclave ask`` while ``enclave serve`` owns the embedded index: ask the server over its API.

The CLI process may not open Qdrant Edge next to the server, so it mints a
short-lived ``ask`` token for the user, streams the answer from
``/api/v1/ask`` and revokes the token afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from django.utils import timezone

from webapp.accounts.services import token_create, token_revoke
from webapp.api.views_chat import CHANNEL_HEADER
from webapp.chat.events import AnswerEvent, ErrorEvent, event_from_wire
from webapp.core.permissions import SYSTEM

TOKEN_LIFETIME = timedelta(minutes=10)


def remote_ask_events(
    *, base_url: str, user: Any, question: str, collection_ids: list[int] | None
) -> Iterator[AnswerEvent]:
    """The answer events of ``conversation_ask``, streamed from the running server."""
    token, raw = token_create(
        user=user,
        name="enclave ask (terminal)",
        scopes=["ask"],
        actor=SYSTEM,
        expires_at=timezone.now() + TOKEN_LIFETIME,
    )
    body: dict[str, Any] = {"question": question, "stream": True}
    if collection_ids:
        body["collection_ids"] = collection_ids
    try:
        with httpx.stream(
            "POST",
            f"{base_url}/api/v1/ask",
            json=body,
            # The server records the conversation as the terminal's, not the API's.
            headers={"Authorization": f"Bearer {raw}", CHANNEL_HEADER: "cli"},
            timeout=httpx.Timeout(120.0, connect=5.0),
        ) as response:
            if response.status_code != 200:
                detail = json.loads(response.read() or b"{}")
                yield ErrorEvent(
                    code=detail.get("code", "error"), message=detail.get("message", "")
                )
                return
            yield from _parse_sse(response.iter_lines())
    finally:
        token_revoke(token=token, actor=SYSTEM)


def _parse_sse(lines: Iterator[str]) -> Iterator[AnswerEvent]:
    name = "message"
    for line in lines:
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            yield event_from_wire(name, json.loads(line.removeprefix("data:").strip()))
