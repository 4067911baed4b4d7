"""Moving off the embedded defaults: a SQLite home's backup restored into PostgreSQL.

The admin's path from docs/operations.md: the site runs on SQLite and Qdrant
Edge, ``enclave backup`` runs while it serves, and ``enclave restore`` fills a
home configured with ``ENCLAVE_DATABASE_URL`` (PostgreSQL) and a Redis broker.
The restored site answers the same questions with the same citations, the old
API tokens still work, and new rows get new ids (PostgreSQL's sequences moved
past the copied ones). Needs the PostgreSQL and Redis of stage 2.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.documents import make_handbook_pdf, make_security_docx
from tests.support.server import process_env, run_cli
from tests.support.site import ADMIN, prepare_users, running_site

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(
        not os.environ.get("ENCLAVE_TEST_DATABASE_URL"),
        reason="needs PostgreSQL and Redis (ENCLAVE_TEST_DATABASE_URL): stage 2 of make test",
    ),
]

QUESTION = "How many days of annual leave do employees get?"
SCOPES = {"alice": "read,ask", ADMIN: "admin,ingest,read"}


def _embedded_env(home: Path) -> dict[str, str]:
    """A home on the embedded defaults even in stage 2 (no database or broker URL)."""
    env = process_env(home)
    env.pop("ENCLAVE_DATABASE_URL", None)
    env.pop("ENCLAVE_BROKER_URL", None)
    return env


def test_a_sqlite_backup_restores_into_postgresql_with_the_same_answers(tmp_path: Path) -> None:
    source_home, target_home = tmp_path / "sqlite-home", tmp_path / "postgresql-home"
    source_env, target_env = _embedded_env(source_home), process_env(target_home)
    assert target_env["ENCLAVE_DATABASE_URL"].startswith("postgresql")
    tokens = prepare_users(source_env, {"alice": ("staff",)}, SCOPES)
    folder = tmp_path / "backups" / "move"
    with running_site(source_env, source_home, tokens) as site:
        collection = site.create_collection("Policies", ["staff"])
        ids = site.upload_all(collection, [make_handbook_pdf(tmp_path / "handbook.pdf")])
        assert {row["status"] for row in site.wait_documents(list(ids.values())).values()} == {
            "indexed"
        }
        before = site.api("alice").post("/api/v1/ask", json={"question": QUESTION}).json()
        done = run_cli(["backup", str(folder)], source_env)
        assert done.returncode == 0, done.stdout + done.stderr

    restored = run_cli(["restore", str(folder)], target_env)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Database (sqlite)" in restored.stdout
    with running_site(target_env, target_home, tokens) as site:
        after = site.api("alice").post("/api/v1/ask", json={"question": QUESTION}).json()
        assert after["answer"] == before["answer"]
        assert [(c["document_id"], c["title"], c["page"]) for c in after["citations"]] == [
            (c["document_id"], c["title"], c["page"]) for c in before["citations"]
        ]
        assert site.api("alice").get("/api/v1/collections").json()[0]["name"] == "Policies"
        more = site.upload_all(collection, [make_security_docx(tmp_path / "security.docx")])
        assert min(more.values()) > max(ids.values())
        rows = site.wait_documents(list(more.values()))
        assert {row["status"] for row in rows.values()} == {"indexed"}
