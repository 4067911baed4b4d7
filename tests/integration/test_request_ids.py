"""One request id from the web request into the worker's ingestion and the model server's call.

Along the user's path: an upload through the API with ``X-Request-ID`` gets the id
back and the embedded worker's ingestion log lines carry it; questions through the
REST API and the web chat (whose answer streams on a thread of its own) reach the
OpenAI-compatible stand-in with the id of the request that asked; a malformed id is
replaced by a new one, which is then the one that travels.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.standin.process import standin_request_ids, start_standin, stop
from tests.support.documents import make_handbook_pdf
from tests.support.settings_env import settings_apply, settings_restore
from webapp.accounts.services import token_create
from webapp.config.logs import JsonFormatter, RequestIdFilter
from webapp.knowledge.models import Collection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUESTION = "How many days of paid annual leave do employees get?"
MODEL = "standin-llm"
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def standin(monkeypatch) -> Iterator[str]:
    """The OpenAI-compatible stand-in as the site's only model (settings rebuilt for it)."""
    url, process = start_standin(model=MODEL)
    settings_apply(monkeypatch, ENCLAVE_LLM_ENDPOINTS=f"{url}|{MODEL}")
    try:
        yield url
    finally:
        settings_restore(monkeypatch)
        stop(process)


@pytest.fixture
def ingestion_log() -> Iterator[io.StringIO]:
    """The ingestion's log lines as the JSON format writes them (request-id filter included)."""
    logger = logging.getLogger("webapp.knowledge.ingestion")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def site() -> dict[str, Client | Collection | User]:
    """An admin's API client (ingest), an hr member's API client (ask) and web session."""
    hr = Group.objects.create(name="hr")
    admin = User.objects.create_user("root-admin", password="x", is_staff=True)
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(hr)
    collection = Collection.objects.create(name="HR")
    collection.allowed_groups.set([hr])
    _id, ingest = token_create(user=admin, name="ingest", scopes=["ingest", "read"], actor=admin)
    _id, ask = token_create(user=alice, name="ask", scopes=["ask"], actor=alice)
    web = Client()
    web.force_login(alice)
    return {
        "collection": collection,
        "admin_api": Client(HTTP_AUTHORIZATION=f"Bearer {ingest}"),
        "alice_api": Client(HTTP_AUTHORIZATION=f"Bearer {ask}"),
        "alice_web": web,
    }


def _upload(site: dict, tmp_path: Path, request_id: str):
    path = make_handbook_pdf(tmp_path / "handbook.pdf")
    response = site["admin_api"].post(
        f"/api/v1/collections/{site['collection'].id}/documents",
        {"file": SimpleUploadedFile(path.name, path.read_bytes())},
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 201, response.content[:500]
    return response


def _drain(stream) -> str:
    """The web chat's whole answer stream (an async iterator, read as the ASGI server does)."""

    async def read() -> str:
        return "".join([part.decode() async for part in stream])

    return asyncio.run(read())


def test_an_upload_s_id_comes_back_and_tags_the_worker_s_ingestion_lines(
    site, tmp_path, wait_indexed, ingestion_log
) -> None:
    response = _upload(site, tmp_path, "upload-7f3a.1")
    document_id = response.json()["document"]["id"]
    assert wait_indexed([document_id])[document_id].status == "indexed"

    assert response["X-Request-ID"] == "upload-7f3a.1"
    lines = [json.loads(line) for line in ingestion_log.getvalue().splitlines()]
    mine = [line for line in lines if line["message"].startswith(f"document {document_id} ")]
    assert [line["message"].split(":")[0] for line in mine] == [f"document {document_id} indexed"]
    assert {line["request_id"] for line in mine} == {"upload-7f3a.1"}
    # The worker's own thread wrote it, not the request's.
    assert mine[0]["thread"] != "MainThread"


def test_questions_reach_the_model_server_with_their_request_s_id(
    site, tmp_path, wait_indexed, standin
) -> None:
    document_id = _upload(site, tmp_path, "upload-2").json()["document"]["id"]
    assert wait_indexed([document_id])[document_id].status == "indexed"

    rest = site["alice_api"].post(
        "/api/v1/ask",
        {"question": QUESTION, "stream": False},
        content_type="application/json",
        HTTP_X_REQUEST_ID="rest-ask-1",
    )
    web = site["alice_web"].post(
        "/chat/ask",
        {"question": QUESTION},
        content_type="application/json",
        HTTP_X_REQUEST_ID="web ask <2>",  # malformed: replaced
    )
    streamed = _drain(web.streaming_content)

    assert rest.status_code == 200 and "twenty-seven days" in rest.json()["answer"]
    assert rest["X-Request-ID"] == "rest-ask-1"
    assert web.status_code == 200 and "twenty-seven days" in streamed
    replaced = web["X-Request-ID"]
    assert NEW_ID.fullmatch(replaced)
    assert standin_request_ids(standin) == ["rest-ask-1", replaced]


def test_a_request_without_an_id_gets_a_new_one_each_time(site) -> None:
    first = site["alice_api"].get("/api/v1/collections")
    second = site["alice_api"].get("/api/v1/collections", HTTP_X_REQUEST_ID="x" * 129)

    assert NEW_ID.fullmatch(first["X-Request-ID"]) and NEW_ID.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
