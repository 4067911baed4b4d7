"""A live ``enclave serve`` for the API tests, with people, collections and tokens.

One server for the whole folder (starting one costs seconds): the handbook is
ingested into ``HR`` (group hr) from the terminal before serve starts; alice
is in hr, bob in eng, nia in no group, root is an admin. Tokens are made with ``enclave token
create`` (root's) and then through the API itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.documents import make_handbook_pdf
from tests.support.server import ServeProcess, cli, process_env, token_create


@dataclass
class ApiSite:
    """The running server and what the tests need to talk to it."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    hr_collection_id: int = 0
    handbook_id: int = 0

    def client(self, who: str, **kwargs: object) -> httpx.Client:
        """An httpx client authenticated with the named token."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    def new_token(self, *, user: str, scopes: list[str], **extra: object) -> tuple[int, str]:
        """A fresh token made by root's admin token; returns (id, secret)."""
        with self.client("root") as root:
            response = root.post(
                "/api/v1/tokens",
                json={
                    "name": f"{user}-{'-'.join(scopes)}",
                    "scopes": scopes,
                    "user": user,
                    **extra,
                },
            )
        assert response.status_code == 201, response.text
        return response.json()["token"]["id"], response.json()["secret"]


def wait_documents(client: httpx.Client, ids: list[int], timeout_s: float = 180) -> dict:
    """Poll the documents API until every document is indexed or failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = {i: client.get(f"/api/v1/documents/{i}").json() for i in ids}
        if all(r.get("status") in ("indexed", "failed") for r in rows.values()):
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(0.3)


@pytest.fixture(scope="session")
def api_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiSite]:
    home = tmp_path_factory.mktemp("api-home")
    env = process_env(home)
    docs = tmp_path_factory.mktemp("api-docs")
    make_handbook_pdf(docs / "handbook.pdf")
    cli(["ingest", str(docs), "--collection", "HR", "--group", "hr"], env)
    cli(["user", "alice", "--password", "alice-pass-123", "--group", "hr"], env)
    cli(["user", "bob", "--password", "bob-pass-123", "--group", "eng"], env)
    cli(["user", "nia", "--password", "nia-pass-123"], env)
    cli(["user", "root", "--password", "root-pass-123", "--admin"], env)
    site = ApiSite(url="")
    site.tokens["root"] = token_create(env, user="root", name="tests", scope="admin")

    serve = ServeProcess(env, Path(home) / "serve.log")
    serve.start()
    site.url = serve.url
    try:
        site.tokens["alice"] = site.new_token(user="alice", scopes=["read", "ask"])[1]
        site.tokens["alice_read"] = site.new_token(user="alice", scopes=["read"])[1]
        site.tokens["alice_ingest"] = site.new_token(user="alice", scopes=["ingest"])[1]
        site.tokens["bob"] = site.new_token(user="bob", scopes=["read", "ask", "ingest"])[1]
        site.tokens["nia"] = site.new_token(user="nia", scopes=["read", "ask"])[1]
        with site.client("alice") as alice:
            hr = alice.get("/api/v1/collections").json()
            site.hr_collection_id = hr[0]["id"]
            site.handbook_id = alice.get("/api/v1/documents").json()["results"][0]["id"]
        yield site
    finally:
        serve.stop()
