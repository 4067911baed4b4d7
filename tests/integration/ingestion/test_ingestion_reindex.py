"""Re-indexing without downtime: in place through the worker, and onto a new embedding model."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from rich.console import Console

from retrieval.errors import EmbeddingModelError
from tests.support.models import SECOND_MODEL_DIMENSION
from webapp import doctor
from webapp.chat.services import search_passages
from webapp.cli import progress
from webapp.config.settings import get_settings, reset_settings_cache
from webapp.core.errors import ValidationError
from webapp.knowledge.index_engines import active_engines, building_engines, get_embedder
from webapp.knowledge.indexes import (
    search_index_bootstrap,
    search_index_build_for_model,
    search_index_build_start,
    search_index_follow_settings,
)
from webapp.knowledge.models import Document, SearchIndex, SearchIndexState
from webapp.knowledge.rebuild import search_index_build_step
from webapp.knowledge.services import document_delete, documents_reindex

pytestmark = [pytest.mark.integration]

# Sentences no other test indexes (the session shares one vector index).
GLACIER = "The glacier survey team departs from the northern research hut every Tuesday."
ORCHARD = "Orchard apprentices prune the pear trees during the first frost of November."
LANTERN = "Lantern repairs for the lighthouse keepers are billed to the harbour authority."
VIOLIN = "Violin lessons for employees' children take place in the east wing auditorium."
BEEHIVE = "Beekeeping permits for the rooftop hives are renewed by facilities every March."
FERRY = "The ferry to the island office leaves the quay at seven when the winter timetable runs."


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def found(user, sentence: str) -> list[int]:
    return [p.document_id for p in search_passages(user=user, query=sentence)]


@pytest.mark.django_db(transaction=True)
def test_re_indexing_a_collection_keeps_every_document_searchable(
    tmp_path, admin, reader, make_collection, upload, wait_indexed
):
    collection = make_collection("Field notes")
    sentences = {GLACIER: "glacier.txt", ORCHARD: "orchard.txt", LANTERN: "lantern.txt"}
    documents = {s: upload(collection, write(tmp_path, n, s)) for s, n in sentences.items()}
    wait_indexed([d.id for d in documents.values()])

    with transaction.atomic():
        queued = documents_reindex(
            documents=Document.objects.filter(collection=collection), actor=admin
        )
    statuses_seen: set[str] = set()
    deadline = time.monotonic() + 180
    while True:
        rows = {d.id: d.status for d in Document.objects.filter(id__in=queued)}
        statuses_seen.update(rows.values())
        for sentence, document in documents.items():
            assert document.id in found(reader, sentence), (sentence, rows)
        if set(rows.values()) == {"indexed"} or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert queued == sorted(d.id for d in documents.values())
    assert "queued" in statuses_seen
    rows = Document.objects.filter(id__in=queued)
    assert [(d.status, d.attempts) for d in rows] == [("indexed", 2)] * 3


@pytest.mark.django_db(transaction=True)
def test_a_model_change_builds_a_new_index_and_switches_only_when_complete(
    tmp_path, admin, reader, make_collection, upload, wait_indexed, second_model_dir
):
    collection = make_collection("Estate")
    glacier = upload(collection, write(tmp_path, "glacier.txt", GLACIER))
    orchard = upload(collection, write(tmp_path, "orchard.txt", ORCHARD))
    wait_indexed([glacier.id, orchard.id])
    ids = (glacier.id, orchard.id)
    old = active_engines()
    old_path = get_settings().store_config().path
    name = f"enclave_chunks_{uuid.uuid4().hex[:8]}"
    # The row search_index_build_start writes, without queueing: this test runs the steps.
    build = SearchIndex.objects.create(
        name=name,
        model_dir=str(second_model_dir),
        model_name=second_model_dir.name,
        dimension=SECOND_MODEL_DIMENSION,
        state=SearchIndexState.BUILDING,
        build_token="first",
    )
    new = building_engines()
    assert new is not None

    token = search_index_build_step(index_id=build.id, token="first")
    # Mid-build: searches use the old index and the old model.
    assert (active_engines().name, len(get_embedder().embed_query("q"))) == (
        old.name,
        old.embedder.dimension,
    )
    assert glacier.id in found(reader, GLACIER)
    lantern = upload(collection, write(tmp_path, "lantern.txt", LANTERN))
    wait_indexed([lantern.id])
    ids += (lantern.id,)
    document_delete(document=orchard, actor=admin)  # sets orchard.id to None
    mid_build = {
        "lantern searchable": lantern.id in found(reader, LANTERN),
        "orchard searchable": ids[1] in found(reader, ORCHARD),
        "new index": [new.store.count(document_id=i) > 0 for i in ids],
    }
    steps = 1
    while token is not None:
        assert active_engines().name == old.name
        token = search_index_build_step(index_id=build.id, token=token)
        steps += 1

    assert mid_build == {
        "lantern searchable": True,
        "orchard searchable": False,
        "new index": [True, False, True],
    }
    assert steps == 3  # glacier and orchard; lantern (uploaded meanwhile); the switch
    assert search_index_build_step(index_id=build.id, token="first") is None
    assert active_engines().name == name
    assert len(get_embedder().embed_query("q")) == SECOND_MODEL_DIMENSION
    assert found(reader, GLACIER)[0] == glacier.id
    assert found(reader, LANTERN)[0] == lantern.id
    assert ids[1] not in found(reader, ORCHARD)
    assert [new.store.count(document_id=i) > 0 for i in ids] == [True, False, True]
    states = dict(SearchIndex.objects.values_list("name", "state"))
    assert states == {old.name: "retired", name: "active"}
    assert old_path is not None and not old_path.exists()  # the old Edge shard was removed


@pytest.mark.django_db
def test_a_build_is_refused_for_the_active_model_and_while_another_model_builds(
    second_model_dir,
):
    search_index_bootstrap(model_dir="", model_name="all-MiniLM-L6-v2", dimension=384)
    model = str(second_model_dir)

    with pytest.raises(ValidationError, match="already built with all-MiniLM-L6-v2"):
        search_index_build_start(model_dir="", model_name="all-MiniLM-L6-v2", dimension=384)
    build = search_index_build_start(model_dir=model, model_name="minilm-128", dimension=128)
    again = search_index_build_start(model_dir=model, model_name="minilm-128", dimension=128)
    with pytest.raises(ValidationError, match="in progress"):
        search_index_build_start(model_dir="/srv/models/other", model_name="other", dimension=64)

    assert again.id == build.id
    assert build.name.startswith("enclave_chunks_")
    assert sorted(SearchIndex.objects.values_list("state", flat=True)) == ["active", "building"]


@pytest.mark.django_db
def test_an_installation_indexed_with_minilm_builds_an_index_with_the_default_model():
    # Indexed before USE multilingual became the default: the packaged MiniLM, int8.
    search_index_bootstrap(
        model_dir="", model_name="all-MiniLM-L6-v2", dimension=384, backend="onnx-int8"
    )

    build = search_index_follow_settings()

    assert build is not None and build.state == SearchIndexState.BUILDING
    assert (build.model_dir, build.model_name, build.backend, build.dimension) == (
        "use-multilingual-v3",
        "use-multilingual-v3",
        "numpy",
        512,
    )
    assert search_index_follow_settings() == build  # the next start finds it under way


@pytest.mark.django_db
def test_a_backend_change_alone_builds_a_new_index(monkeypatch):
    # An installation indexed with torch, started with MiniLM on another backend.
    monkeypatch.setenv("ENCLAVE_EMBEDDING_MODEL", "all-MiniLM-L6-v2")
    reset_settings_cache()
    try:
        assert get_settings().embedding.backend == "onnx-int8"
        search_index_bootstrap(
            model_dir="", model_name="all-MiniLM-L6-v2", dimension=384, backend="torch"
        )

        build = search_index_follow_settings()

        assert build is not None and (build.model_dir, build.backend) == ("", "onnx-int8")
        assert build.state == SearchIndexState.BUILDING
        with pytest.raises(ValidationError, match="already built"):
            search_index_build_start(
                model_dir="", model_name="all-MiniLM-L6-v2", dimension=384, backend="torch"
            )
    finally:
        monkeypatch.delenv("ENCLAVE_EMBEDDING_MODEL")
        reset_settings_cache()


@pytest.mark.django_db
def test_a_build_step_whose_model_fails_to_load_gives_the_step_back_for_its_retry(tmp_path):
    # A transient failure (here a model directory that cannot be loaded yet) must leave
    # the step claimable by the task's retry; a lost step stalls the build until the
    # reconciler notices, many minutes later.
    broken = tmp_path / "model-being-copied"
    broken.mkdir()
    build = SearchIndex.objects.create(
        name=f"enclave_chunks_{uuid.uuid4().hex[:8]}",
        model_dir=str(broken),
        model_name="model-being-copied",
        dimension=SECOND_MODEL_DIMENSION,
        state=SearchIndexState.BUILDING,
        build_token="first",
    )

    with pytest.raises(EmbeddingModelError):
        search_index_build_step(index_id=build.id, token="first")

    assert SearchIndex.objects.get(id=build.id).build_token == "first"
    with pytest.raises(EmbeddingModelError):  # the retry claims it again
        search_index_build_step(index_id=build.id, token="first")


def wait_active(index_id: int, timeout_s: float = 180.0) -> SearchIndex:
    deadline = time.monotonic() + timeout_s
    while True:
        index = SearchIndex.objects.get(id=index_id)
        if index.state != SearchIndexState.BUILDING or time.monotonic() > deadline:
            return index
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_document_the_new_index_cannot_take_is_failed_with_its_reason_and_retried(
    tmp_path, monkeypatch, admin, reader, make_collection, upload, wait_indexed, second_model_dir
):
    collection = make_collection("Facilities")
    beehive = upload(collection, write(tmp_path, "beehive.txt", BEEHIVE))
    ferry = upload(collection, write(tmp_path, "ferry.txt", FERRY))
    wait_indexed([beehive.id, ferry.id])
    ferry.refresh_from_db()
    original = Path(ferry.stored_path)
    kept = original.read_bytes()
    original.unlink()  # e.g. a home copied without its uploads

    # The model change as the console and 'enclave reindex --all --model' start it: the
    # live worker runs every step and the switch.
    with transaction.atomic():
        build = search_index_build_for_model(str(second_model_dir))
    switched = wait_active(build.id)

    ferry.refresh_from_db()
    reason = f"Not in the new search index: its original file {original} is missing."
    assert switched.state == SearchIndexState.ACTIVE
    assert active_engines().name == build.name
    assert found(reader, BEEHIVE)[0] == beehive.id
    assert ferry.id not in found(reader, FERRY)
    assert (ferry.status, ferry.error_code, ferry.error_message) == (
        "failed",
        "not_in_new_index",
        reason,
    )
    assert list(switched.skips.values_list("document_id", "code")) == [
        (ferry.id, "original_missing")
    ]

    # Where the admin watches the build: the console's card, the collection page, the CLI.
    client = Client()
    client.force_login(admin)
    home = client.get("/console/").content.decode()
    page = client.get(f"/console/collections/{collection.id}/").content.decode()
    status = client.get("/console/search-index/status").json()
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=300))
    progress.watch_build(build.id)
    doctor_line = dict(doctor.CHECKS)["search index"]()

    assert '<span class="index-skipped-count">1</span> document(s) could not be written' in home
    assert '<dd class="index-documents">1</dd>' in home
    assert f'<p class="doc-error">{reason}</p>' in page
    retry_form = f'action="/console/documents/{ferry.id}/retry" class="inline-form doc-retry-form">'
    assert retry_form in page
    assert (status["active"]["documents_skipped"], status["building"]) == (1, None)
    assert out.getvalue().splitlines()[-2:] == [
        "1 documents could not be written to the new index: they are marked failed; fix "
        "their files, then 'enclave retry --failed --collection NAME'.",
        f"  failed ferry ({collection.name}): its original file {original} is missing.",
    ]

    assert (
        f"({SECOND_MODEL_DIMENSION} dims); 1 documents could not be written to it when built "
        "(marked failed)"
    ) in doctor_line

    # The original restored, Retry indexes it into the active (new) index.
    original.write_bytes(kept)
    response = client.post(f"/console/documents/{ferry.id}/retry")
    retried = wait_indexed([ferry.id])[ferry.id]

    assert response.status_code == 302
    assert (retried.status, retried.error_message) == ("indexed", "")
    assert found(reader, FERRY)[0] == ferry.id
    assert active_engines().store.count(document_id=ferry.id) > 0
