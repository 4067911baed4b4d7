"""A running Enclave set up as an admin would: users, tokens, collections, uploads over the API.

Users and tokens come from the ``enclave`` CLI before the server starts; collections
and documents go through the REST API with an admin token (the real upload path:
multipart, stored, queued, ingested by the worker); employees sign in to the web
app. Used by the system tests (injection, faults, load) and their benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.chat import iter_sse, login
from tests.support.server import ServeProcess, cli, token_create

__all__ = ["ADMIN", "Site", "password_of", "prepare_users", "running_site", "web_ask"]

ADMIN = "uploader"  # the admin whose token creates collections and uploads
DONE_STATUSES = ("indexed", "failed")


def password_of(username: str) -> str:
    """Every test user's password."""
    return f"{username}-test-password-1"


def prepare_users(
    env: dict[str, str], users: Mapping[str, tuple[str, ...]], scopes: Mapping[str, str]
) -> dict[str, str]:
    """Create ``users`` (name -> groups) and the admin; return a token per user in ``scopes``."""
    cli(["user", ADMIN, "--password", password_of(ADMIN), "--admin"], env)
    for name, groups in users.items():
        flags = [flag for group in groups for flag in ("--group", group)]
        cli(["user", name, "--password", password_of(name), *flags], env)
    tokens = {}
    for name, scope in scopes.items():
        tokens[name] = token_create(env, user=name, name="tests", scope=scope)
    return tokens


@dataclass
class Site:
    """``enclave serve`` with its users' API tokens; clients are closed with the site."""

    serve: ServeProcess
    tokens: dict[str, str]
    _clients: list[httpx.Client] = field(default_factory=list)
    _api: dict[tuple[str, float], httpx.Client] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.serve.url

    def api(self, user: str, timeout_s: float = 300) -> httpx.Client:
        """A REST / ``/v1`` client with ``user``'s token (one per user and timeout)."""
        if (user, timeout_s) not in self._api:
            headers = {"Authorization": f"Bearer {self.tokens[user]}"}
            client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)
            self._clients.append(client)
            self._api[user, timeout_s] = client
        return self._api[user, timeout_s]

    def web(self, user: str) -> httpx.Client:
        """A browser-like client signed in as ``user`` (session cookie and CSRF header)."""
        client = login(self.url, user, password_of(user))
        self._clients.append(client)
        return client

    def create_collection(self, name: str, groups: list[str]) -> int:
        """A collection readable by ``groups`` (POST /api/v1/collections as the admin)."""
        reply = self.api(ADMIN).post("/api/v1/collections", json={"name": name, "groups": groups})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def upload(self, collection_id: int, path: Path) -> httpx.Response:
        """POST the file as a multipart upload, as an ingestion script would."""
        with path.open("rb") as handle:
            return self.api(ADMIN).post(
                f"/api/v1/collections/{collection_id}/documents",
                files={"file": (path.name, handle)},
            )

    def upload_all(self, collection_id: int, paths: list[Path]) -> dict[str, int]:
        """Upload files; their document ids by file name."""
        ids = {}
        for path in paths:
            reply = self.upload(collection_id, path)
            assert reply.status_code == 201, reply.text
            ids[path.name] = reply.json()["document"]["id"]
        return ids

    def documents(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The documents' rows as the API shows them to the admin."""
        client = self.api(ADMIN)
        return {i: client.get(f"/api/v1/documents/{i}").json() for i in ids}

    def wait_documents(self, ids: list[int], timeout_s: float = 300) -> dict[int, dict[str, Any]]:
        """Poll until every document is indexed or failed."""
        deadline = time.monotonic() + timeout_s
        while True:
            rows = self.documents(ids)
            if all(row.get("status") in DONE_STATUSES for row in rows.values()):
                return rows
            if time.monotonic() > deadline:
                states = {i: row.get("status") for i, row in rows.items()}
                raise AssertionError(f"documents not done after {timeout_s} s: {states}")
            time.sleep(0.5)

    def close(self) -> None:
        """Close every client this site handed out."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._api.clear()


def web_ask(client: httpx.Client, question: str, **body: Any) -> list[tuple[str, dict]]:
    """POST /chat/ask; the whole SSE stream as (event, data) pairs."""
    with client.stream("POST", "/chat/ask", json={"question": question, **body}) as response:
        assert response.status_code == 200, response.read()
        return list(iter_sse(response.iter_text()))


@contextmanager
def running_site(env: dict[str, str], home: Path, tokens: dict[str, str]) -> Iterator[Site]:
    """Start ``enclave serve`` on ``env``; stop it (and close every client) afterwards."""
    serve = ServeProcess(env, home / "serve.log")
    serve.start(timeout_s=300)
    site = Site(serve, tokens)
    try:
        yield site
    finally:
        site.close()
        serve.stop()
