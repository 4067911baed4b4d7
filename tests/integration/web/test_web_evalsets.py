"""The console's evaluation page along the admin's path, with a live worker and real search.

Upload sets (CSV, JSONL, a bad file), run them as an admin and as a user who cannot
read one expected document, read the dated history, and check a rebuilt index on the
set: one that does worse is held until "Switch anyway", one that does not switches.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.support.evalsets import (
    BAD_JSONL,
    FINANCE,
    GATE_CSV,
    POLICIES,
    SET_CSV,
    SET_JSONL_ROWS,
)
from tests.support.models import make_projected_model
from webapp.evalsets.models import EvalItem, EvalRun, EvalSet, IndexCheck
from webapp.knowledge.index_engines import active_engines, get_write_stores
from webapp.knowledge.models import Document, SearchIndex, SearchIndexState
from webapp.knowledge.rebuild import search_index_build_step
from webapp.knowledge.services import collection_create, document_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RETRIEVAL_ADMIN = {
    "questions": 4, "recall@1": 1.0, "recall@3": 1.0, "recall@5": 1.0,
    "ndcg@10": 1.0, "mrr@10": 1.0,
}  # fmt: skip
RETRIEVAL_HANA = {
    "questions": 4, "recall@1": 0.75, "recall@3": 0.75, "recall@5": 0.75,
    "ndcg@10": 0.75, "mrr@10": 0.75,
}  # fmt: skip


@pytest.fixture
def site(tmp_path, wait_indexed):
    """An admin, hana (hr only), the policies (hr) and the travel note (finance), indexed."""
    hr, finance = Group.objects.create(name="hr"), Group.objects.create(name="finance")
    boss = User.objects.create_user("boss", password="x", is_staff=True)
    hana = User.objects.create_user("hana", password="x")
    hana.groups.add(hr)
    documents = []
    for name, group, texts in (("Policies", hr, POLICIES), ("Finance", finance, FINANCE)):
        collection = collection_create(name=name, group_ids=[group.id], actor=boss)
        for number, text in enumerate(texts.values()):
            path = tmp_path / f"{name}-{number}.md"
            path.write_text(text, encoding="utf-8")
            with transaction.atomic(), path.open("rb") as handle:
                documents.append(
                    document_create(
                        collection=collection, filename=path.name, content=handle, actor=boss
                    )[0]
                )
    rows = wait_indexed([d.id for d in documents])
    assert {r.status for r in rows.values()} == {"indexed"}
    yield {"boss": boss, "hana": hana, "documents": documents}
    # The session shares one vector index: leave none of these points behind.
    for store in get_write_stores():
        for document in documents:
            store.delete_document(document.id)


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _upload(client: Client, name: str, filename: str, content: bytes):
    upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
    return client.post("/console/evaluation/", {"name": name, "file": upload})


def _wait_run(run_id: int, timeout_s: float = 180) -> EvalRun:
    deadline = time.monotonic() + timeout_s
    while True:
        run = EvalRun.objects.get(id=run_id)
        if run.status in ("done", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def test_upload_run_as_two_users_and_read_the_history(site):
    client = _client(site["boss"])

    csv = _upload(client, "Policies", "policies.csv", SET_CSV.encode("utf-8"))
    jsonl_text = "".join(json.dumps(r) + "\n" for r in SET_JSONL_ROWS)
    jsonl = _upload(client, "Policies PT", "policies.jsonl", jsonl_text.encode("utf-8"))
    bad = _upload(client, "Broken", "bad.jsonl", BAD_JSONL.encode("utf-8"))

    eval_set = EvalSet.objects.get(name="Policies")
    assert csv.status_code == 302 and csv["Location"] == f"/console/evaluation/{eval_set.id}/"
    assert jsonl.status_code == 302
    assert bad.status_code == 400
    assert "Line 2: the question is empty." in bad.content.decode()
    assert "Line 4: &#x27;answerable&#x27; must be true or false" in bad.content.decode()
    assert sorted(EvalSet.objects.values_list("name", flat=True)) == ["Policies", "Policies PT"]
    items = list(EvalItem.objects.filter(eval_set=eval_set).values_list(
        "language", "expected_title", "answerable", "facts"))  # fmt: skip
    assert items == [
        ("en", "Beekeeping allowance", True, ["forty euros"]),
        ("pt", "Política de bicicletas", True, ["sessenta reais"]),
        ("en", "Lighthouse rota", True, ["Thursday at dusk"]),
        ("en", "Travel expenses", True, ["eleven working days"]),
        ("en", "", False, []),
    ]
    pt_set = EvalSet.objects.get(name="Policies PT")
    assert (pt_set.languages, pt_set.items.first().language) == ("en,pt", "pt")

    runs = []
    for run_as in ("hana", "boss"):
        response = client.post(
            f"/console/evaluation/{eval_set.id}/run",
            {"kind": "retrieval", "run_as": site[run_as].id},
        )
        assert response.status_code == 302
        runs.append(_wait_run(EvalRun.objects.latest("id").id))
    answers = client.post(f"/console/evaluation/{eval_set.id}/run", {"kind": "answers"})
    assert answers.status_code == 302
    answered = _wait_run(EvalRun.objects.latest("id").id)
    page = client.get(f"/console/evaluation/{eval_set.id}/").content.decode()
    hana_page = client.get(f"/console/evaluation/{eval_set.id}/?run={runs[0].id}").content.decode()
    status = client.get(f"/console/evaluation/runs/status?ids={runs[0].id}").json()

    assert [r.status for r in runs] == ["done", "done"]
    assert [r.metrics for r in runs] == [RETRIEVAL_HANA, RETRIEVAL_ADMIN]
    assert [r.run_as.username for r in runs] == ["hana", "boss"]
    assert runs[0].index_model == "use-multilingual-v3 (packaged), numpy"
    assert runs[0].finished_at <= runs[1].finished_at
    travel = runs[0].results[3]
    assert (travel["expected"], travel["readable"], travel["rank"]) == (
        "Travel expenses", False, None)  # fmt: skip
    assert [r["rank"] for r in runs[1].results] == [1, 1, 1, 1]
    assert answered.status == "done"
    assert (answered.metrics["questions"], answered.metrics["answerable"]) == (5, 4)
    assert len(answered.results) == 5
    assert status["runs"][0] | {"error": ""} == {
        "id": runs[0].id, "status": "done", "questions_done": 5, "questions_total": 5,
        "progress_percent": 100, "error": "",
    }  # fmt: skip
    assert page.count('data-status="done"') == 3
    assert '<svg class="chart line-chart"' in page
    assert "Retrieval over time (recall@5 and nDCG@10)" in page
    assert 'data-metric="recall@5">recall@5 0.75</span>' in page
    assert 'data-metric="recall@5">recall@5 1.00</span>' in page
    assert "not readable by this user" in hana_page
    assert "not readable by this user" not in page.split('id="results-table"')[1]


def test_the_page_is_translated_to_portuguese(site):
    client = _client(site["boss"], "pt-br")
    _upload(client, "Políticas", "policies.csv", SET_CSV.encode("utf-8"))

    listing = client.get("/console/evaluation/").content.decode()
    bad = _upload(client, "Quebrado", "bad.jsonl", BAD_JSONL.encode("utf-8")).content.decode()

    assert "Avaliação" in listing
    assert "Enviar um conjunto" in listing
    assert "Linha 2: a pergunta está vazia." in bad


def _start_build(model_dir: Path | None, dimension: int, backend: str = "torch") -> SearchIndex:
    """The row ``search_index_build_start`` writes, without queueing: the test runs the steps."""
    return SearchIndex.objects.create(
        name=f"enclave_chunks_{uuid.uuid4().hex[:8]}",
        model_dir=str(model_dir) if model_dir else "",
        model_name=model_dir.name if model_dir else "all-MiniLM-L6-v2",
        backend=backend,
        dimension=dimension,
        state=SearchIndexState.BUILDING,
        build_token="first",
    )


def _build(index: SearchIndex) -> None:
    token: str | None = "first"
    while token is not None:
        token = search_index_build_step(index_id=index.id, token=token)


def _set(client: Client) -> EvalSet:
    assert _upload(client, "Paraphrases", "p.csv", GATE_CSV.encode("utf-8")).status_code == 302
    return EvalSet.objects.get(name="Paraphrases")


def test_a_rebuilt_index_that_does_worse_is_held_until_an_admin_switches(site, tmp_path_factory):
    client = _client(site["boss"])
    _set(client)
    old = active_engines().name
    flat = make_projected_model(tmp_path_factory.mktemp("models") / "minilm-1", dimension=1)
    index = _start_build(flat, 1)

    _build(index)
    check = IndexCheck.objects.get(index=index)
    held_page = client.get("/console/evaluation/").content.decode()
    home = client.get("/console/").content.decode()

    assert check.state == "held"
    assert SearchIndex.objects.get(id=index.id).state == "building"
    assert active_engines().name == old
    row = check.comparison[0]
    assert (row["set"], row["old"]["recall@5"]) == ("Paraphrases", 1.0)
    # One dimension: every passage ties on the dense arm, so the order among them is
    # arbitrary (it follows the point ids, which differ between SQLite and PostgreSQL);
    # what matters is that the paraphrases are no longer found first.
    assert row["worse"] == ["ndcg@10"]
    assert row["new"]["ndcg@10"] < row["old"]["ndcg@10"] - 0.02
    assert "Switch anyway" in held_page and "Switch anyway" in home
    assert 'id="index-check-held"' in held_page

    confirmed = client.post("/console/evaluation/index-check/confirm")
    deadline = time.monotonic() + 60
    while SearchIndex.objects.get(id=index.id).state != "active" and time.monotonic() < deadline:
        time.sleep(0.2)

    assert confirmed.status_code == 302
    assert SearchIndex.objects.get(id=index.id).state == "active"
    assert IndexCheck.objects.get(index=index).state == "confirmed"
    assert IndexCheck.objects.get(index=index).decided_by == site["boss"]


def test_a_rebuilt_index_that_does_not_get_worse_switches(site):
    client = _client(site["boss"])
    _set(client)
    # The same model run by another backend (torch instead of onnx-int8): a new index.
    index = _start_build(None, 384, backend="torch")

    _build(index)

    check = IndexCheck.objects.get(index=index)
    assert (check.state, check.comparison[0]["worse"]) == ("passed", [])
    assert check.comparison[0]["new"] == {"recall@5": 1.0, "ndcg@10": 1.0}
    assert SearchIndex.objects.get(id=index.id).state == "active"
    assert "No evaluation set" not in client.get("/console/evaluation/").content.decode()


def test_without_a_set_a_rebuilt_index_switches_as_before(site, second_model_dir):
    client = _client(site["boss"])
    index = _start_build(second_model_dir, 128)

    _build(index)

    assert SearchIndex.objects.get(id=index.id).state == "active"
    assert not IndexCheck.objects.exists()
    assert (
        "No evaluation set names expected documents"
        in client.get("/console/evaluation/").content.decode()
    )
    assert Document.objects.count() == 4
