"""Talking to a running ``enclave serve`` as a signed-in browser does: login and SSE."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx


def login(url: str, username: str, password: str) -> httpx.Client:
    """An httpx client with a session cookie and the CSRF header the chat page sends."""
    client = httpx.Client(base_url=url, timeout=600, follow_redirects=True)
    page = client.get("/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/"},
    )
    assert response.status_code == 200 and "sessionid" in client.cookies, response.text[:500]
    client.headers.update({"X-CSRFToken": client.cookies["csrftoken"], "Referer": f"{url}/"})
    return client


def iter_sse(chunks: Iterator[str]) -> Iterator[tuple[str, dict]]:
    """Parse ``event:``/``data:`` blocks as they arrive."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            name = re.search(r"^event: (.*)$", block, re.M).group(1)
            yield name, json.loads(re.search(r"^data: (.*)$", block, re.M).group(1))
