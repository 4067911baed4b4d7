"""Which vector index is active, which one is being built, and with which embedding model.

The ``SearchIndex`` rows are the one pointer every process reads before it
searches or indexes (``webapp.knowledge.index_engines``): switching to a rebuilt index is
one transaction here, and each process reopens its store and embedder when it
sees the change.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from retrieval import resolved_backend
from retrieval.config import MINILM, PACKAGED_MODELS
from webapp.config.settings import get_settings
from webapp.core.engines import embedder_for, embedding_config_for
from webapp.core.errors import ValidationError
from webapp.knowledge.models import Document, DocumentStatus, SearchIndex, SearchIndexState
from worker.contracts import enqueue_build_index

logger = logging.getLogger(__name__)


def model_key(model: Path | str) -> str:
    """How an index records its model (``SearchIndex.model_dir``).

    '' is the packaged all-MiniLM-L6-v2 (what indexes recorded before a second
    packaged model existed); another packaged model is its name
    (use-multilingual-v3); a local model is its resolved directory.
    """
    name = str(model)
    if name in ("", MINILM):
        return ""
    if name in PACKAGED_MODELS:
        return name
    return str(Path(name).expanduser().resolve())


def is_packaged(key: str) -> bool:
    """Whether the model key names a model shipped in a package (no directory to check)."""
    return key == "" or key in PACKAGED_MODELS


def model_label(index: SearchIndex) -> str:
    """The model of an index as an admin reads it."""
    if is_packaged(index.model_dir):
        model = f"{index.model_dir or index.model_name or MINILM} (packaged)"
    else:
        model = index.model_dir
    return f"{model}, {index.backend}"


def configured_backend(model_dir: str) -> str:
    """What will run the model: numpy for USE; the configured backend, or torch for a model
    onnx-int8 cannot run (see runnable_backend), for sentence-transformers models."""
    return resolved_backend(embedding_config_for(model_dir))


def configured_model() -> tuple[str, str]:
    """(model key, backend) the settings ask for: what a new index is built with."""
    key = model_key(get_settings().embedding_model_source())
    return key, configured_backend(key)


def _same_model(index: SearchIndex, model_dir: str, backend: str) -> bool:
    return (index.model_dir, index.backend) == (model_dir, backend)


def search_index_active() -> SearchIndex | None:
    """The index every search reads; None before the first one is recorded."""
    return SearchIndex.objects.filter(state=SearchIndexState.ACTIVE).first()


def search_index_building() -> SearchIndex | None:
    """The index being built in the background for a new embedding model, if any."""
    return SearchIndex.objects.filter(state=SearchIndexState.BUILDING).first()


def search_indexes_in_use() -> tuple[SearchIndex | None, SearchIndex | None]:
    """(active, building) in one query: what every search and every write looks up."""
    # One row per state at most (constraints): no ordering needed.
    rows = SearchIndex.objects.filter(
        state__in=(SearchIndexState.ACTIVE, SearchIndexState.BUILDING)
    ).order_by()
    found = {row.state: row for row in rows}
    return found.get(SearchIndexState.ACTIVE), found.get(SearchIndexState.BUILDING)


def search_index_overview() -> dict[str, Any]:
    """The active index and the build under way as the admin console shows them (JSON-safe).

    A build whose heartbeat is older than ``stalled_after_s`` is ``stalled``: the
    reconciler queues it again (``search_indexes_requeue_stalled``).
    """
    active = search_index_active()
    building = search_index_building()
    return {
        "active": None
        if active is None
        else {
            "name": active.name,
            "model": model_label(active),
            "dimension": active.dimension,
            "documents": Document.objects.filter(status=DocumentStatus.INDEXED).count(),
            # Documents its build could not write (failed at the switch, with the reason).
            "documents_skipped": active.skips.count(),
        },
        "building": None if building is None else _build_progress(building),
    }


def _build_progress(index: SearchIndex) -> dict[str, Any]:
    now = timezone.now()
    stalled_after_s = get_settings().worker.stalled_after_s
    age = None if index.heartbeat_at is None else now - index.heartbeat_at
    done, total = index.documents_done, index.documents_total
    return {
        "name": index.name,
        "model": model_label(index),
        "dimension": index.dimension,
        "documents_done": done,
        "documents_total": total,
        "documents_skipped": index.skips.count(),
        "progress_percent": min(100, done * 100 // total) if total else 0,
        "heartbeat_at": None if index.heartbeat_at is None else index.heartbeat_at.isoformat(),
        "heartbeat_age_s": None if age is None else max(0, int(age.total_seconds())),
        # The reconciler's rule (search_indexes_requeue_stalled): silent for longer than this.
        "stalled": age is None or age > timedelta(seconds=stalled_after_s),
        "stalled_after_s": stalled_after_s,
    }


def search_index_bootstrap(
    *, model_dir: str, model_name: str, dimension: int, backend: str | None = None
) -> SearchIndex:
    """Record the configured index as active when no index is recorded yet (first start).

    ``backend`` None is the configured one.
    """
    backend = backend or configured_backend(model_dir)
    try:
        with transaction.atomic():
            return SearchIndex.objects.create(
                name=get_settings().store.collection,
                model_dir=model_dir,
                backend=backend,
                model_name=model_name,
                dimension=dimension,
                state=SearchIndexState.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:  # another process recorded it first
        active = search_index_active()
        if active is None:
            raise
        return active


def search_index_build_start(
    *,
    model_dir: str,
    model_name: str,
    dimension: int,
    backend: str | None = None,
    actor: Any | None = None,
) -> SearchIndex:
    """Start building a new index with another embedding model; searches keep the active one.

    ``backend`` None is the configured one. Returns the build already running for
    the same model; refuses a second model while one builds, and the model the
    active index already has.
    """
    backend = backend or configured_backend(model_dir)
    active = search_index_active()
    if active is not None and _same_model(active, model_dir, backend):
        raise ValidationError(
            gettext_noop(
                "The active index is already built with %(model)s; "
                "'enclave reindex --all' re-indexes it in place."
            ),
            params={"model": model_label(active)},
        )
    building = search_index_building()
    if building is not None:
        if _same_model(building, model_dir, backend):
            return building
        raise ValidationError(
            gettext_noop("A rebuild with %(model)s is in progress; wait for it to finish."),
            params={"model": model_label(building)},
        )
    token = uuid.uuid4().hex
    with transaction.atomic():
        index = SearchIndex.objects.create(
            name=f"{get_settings().store.collection}_{uuid.uuid4().hex[:8]}",
            model_dir=model_dir,
            backend=backend,
            model_name=model_name,
            dimension=dimension,
            state=SearchIndexState.BUILDING,
            build_token=token,
            documents_total=Document.objects.exclude(status=DocumentStatus.DELETING).count(),
            heartbeat_at=timezone.now(),
        )
        transaction.on_commit(lambda: enqueue_build_index(index.id, token))
    logger.info(
        "index build started index=%s model=%s dimension=%s actor=%s",
        index.name,
        model_name,
        dimension,
        getattr(actor, "id", None),
    )
    return index


def search_index_build_for_model(
    model_dir: str, *, backend: str | None = None, actor: Any | None = None
) -> SearchIndex:
    """Load the model (it must load offline) and start building an index with it."""
    backend = backend or configured_backend(model_dir)
    embedder = embedder_for(model_dir, backend)
    return search_index_build_start(
        model_dir=model_dir,
        backend=backend,
        model_name=embedder.model_name,
        dimension=embedder.dimension,
        actor=actor,
    )


def search_index_follow_settings() -> SearchIndex | None:
    """At start: when the configured model is not the active index's, build an index with it.

    Returns the build under way (started now or earlier), or None when none is needed.
    """
    active = search_index_active()
    building = search_index_building()
    configured, backend = configured_model()
    if building is not None:
        return building
    if active is None or _same_model(active, configured, backend):
        return None
    logger.warning(
        "configured embedding model %s (%s) differs from the active index's %s: rebuilding",
        configured or "(packaged)",
        backend,
        model_label(active),
    )
    return search_index_build_for_model(configured, backend=backend)
