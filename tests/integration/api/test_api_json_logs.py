"""A live ``enclave serve`` with ``ENCLAVE_LOG_FORMAT=json``: one request id, followed in its log.

The embedded worker runs inside the server, so its log is the web's and the
worker's at once. An upload with ``X-Request-ID`` and a question with another are
followed through the JSON lines: the upload's id on the worker's ingestion line,
the question's on the search and answer lines (written on the answer's thread)
and at the OpenAI-compatible stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import wait_documents
from tests.standin.process import standin_request_ids, start_standin, stop
from tests.support.documents import make_handbook_pdf
from tests.support.server import ServeProcess, cli, process_env, token_create

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

MODEL = "standin-llm"
QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, str, str]]:
    """The server (JSON logs, the stand-in as its model), root's admin token, the stand-in."""
    home = tmp_path_factory.mktemp("json-logs-home")
    replica, standin = start_standin(model=MODEL)
    env = process_env(home, ENCLAVE_LOG_FORMAT="json", ENCLAVE_LLM_ENDPOINTS=f"{replica}|{MODEL}")
    serve = ServeProcess(env, home / "serve.log")
    try:
        cli(["user", "root", "--password", "root-pass-123", "--admin"], env)
        token = token_create(env, user="root", name="logs", scope="admin")
        serve.start()
        yield serve, token, replica
    finally:
        serve.stop()
        stop(standin)


def _json_lines(log: Path) -> list[dict]:
    """The log's JSON lines (the start-up frame and Python warnings are not log records)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_an_upload_and_a_question_are_followed_by_their_ids(served, tmp_path) -> None:
    serve, token, replica = served
    pdf = make_handbook_pdf(tmp_path / "handbook.pdf")
    with httpx.Client(
        base_url=serve.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as root:
        collection = root.post("/api/v1/collections", json={"name": "HR", "groups": []})
        upload = root.post(
            f"/api/v1/collections/{collection.json()['id']}/documents",
            files={"file": ("handbook.pdf", pdf.read_bytes())},
            headers={"X-Request-ID": "upload-json-1"},
        )
        document_id = upload.json()["document"]["id"]
        assert wait_documents(root, [document_id])[document_id]["status"] == "indexed"
        answer = root.post(
            "/api/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "ask-json-2"}
        )

    assert upload.headers["X-Request-ID"] == "upload-json-1"
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "ask-json-2"
    lines = _json_lines(serve.log_path)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    indexed = [m for m in lines if m["message"].startswith(f"document {document_id} indexed")]
    assert [m.get("request_id") for m in indexed] == ["upload-json-1"]
    asked = {m["logger"] for m in lines if m.get("request_id") == "ask-json-2"}
    assert {"retrieval.search", "inference.cluster", "inference.answering"} <= asked
    assert standin_request_ids(replica) == ["ask-json-2"]
    # uvicorn's own lines are JSON too, without its terminal colour copy.
    started = [m for m in lines if m["logger"] == "uvicorn.error"]
    assert started and all("color_message" not in m for m in started)
