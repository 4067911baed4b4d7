"""Checking a rebuilt index on the admin's evaluation sets before it replaces the active one.

When a background re-index for a new embedding model or backend has built every
document, ``index_switch_allowed`` runs each set that names expected documents
(retrieval kind, as the set's uploader) on the active index and on the new one.
The new index is switched to only when no set gets worse: recall@5 and nDCG@10
each at least the active index's minus ``TOLERANCE``. Otherwise the build is held
("awaiting confirmation"): it stays the building index, so uploads, deletions and
permission changes keep reaching it, until an admin confirms the switch
(``index_switch_confirm``) or starts another build. With no such set, the switch
happens as soon as the build is complete, as without this check.

Why 0.02: searches are deterministic, so the same index always scores the same and
any difference comes from the model. 0.02 lets one question in fifty leave the top
five (recall@5 drops by 1/50) or several slip one rank (nDCG@10 drops by 0.37/50 for
each rank-1 question moving to rank 2); on a set of ten questions any question
lost holds the switch.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from retrieval import Searcher
from webapp.audit.services import audit_record
from webapp.config.settings import get_settings
from webapp.core.engines import IndexEngines, query_embedder_for
from webapp.core.errors import NotFoundError
from webapp.core.permissions import actor_user, require_admin
from webapp.evalsets.models import (
    EvalKind,
    EvalRun,
    EvalRunStatus,
    EvalSet,
    IndexCheck,
    IndexCheckState,
)
from webapp.evalsets.selectors import eval_sets_gating
from webapp.evalsets.services import eval_run_execute
from webapp.knowledge.index_engines import active_engines, building_engines
from webapp.knowledge.indexes import model_label, search_index_active
from webapp.knowledge.models import SearchIndex, SearchIndexState
from worker.contracts import enqueue_build_index

__all__ = ["GATED_METRICS", "TOLERANCE", "index_switch_allowed", "index_switch_confirm"]

logger = logging.getLogger(__name__)

TOLERANCE = 0.02
GATED_METRICS = ("recall@5", "ndcg@10")


def index_switch_allowed(*, index: SearchIndex) -> bool:
    """Whether the fully built ``index`` may replace the active one now (see module doc)."""
    check = IndexCheck.objects.filter(index=index).first()
    if check is not None:
        return check.state != IndexCheckState.HELD
    sets = [s for s in eval_sets_gating().select_related("uploaded_by") if _asker(s)]
    active = search_index_active()
    new = building_engines()
    if not sets or active is None or new is None or new.name != index.name:
        return True
    old = active_engines()
    comparison = [_compare(s, active, old, index, new) for s in sets]
    held = any(row["worse"] for row in comparison)
    state = IndexCheckState.HELD if held else IndexCheckState.PASSED
    check = IndexCheck.objects.create(
        index=index,
        state=state,
        old_index_name=active.name,
        old_model=model_label(active),
        new_model=model_label(index),
        comparison=comparison,
        decided_at=None if held else timezone.now(),
    )
    EvalRun.objects.filter(
        id__in=[r[k] for r in comparison for k in ("old_run", "new_run")]
    ).update(index_check=check)
    logger.info("index %s checked on %s evaluation sets: %s", index.name, len(sets), state)
    return not held


def _asker(eval_set: EvalSet) -> Any | None:
    user = eval_set.uploaded_by
    return user if user is not None and user.is_active else None


def _searcher(engines: IndexEngines) -> Searcher:
    settings = get_settings()
    # No reranker: both indexes are compared on what the embedding model changes.
    return Searcher(
        store=engines.store,
        embedder=query_embedder_for(engines.embedder),
        config=settings.search_config(),
    )


def _compare(
    eval_set: EvalSet,
    active: SearchIndex,
    old: IndexEngines,
    index: SearchIndex,
    new: IndexEngines,
) -> dict[str, Any]:
    """The set's retrieval metrics on both indexes, and the gated ones that got worse."""
    runs = []
    for row, engines in ((active, old), (index, new)):
        run = EvalRun.objects.create(
            eval_set=eval_set,
            kind=EvalKind.RETRIEVAL,
            run_as=_asker(eval_set),
            questions_total=eval_set.items.count(),
        )
        runs.append(eval_run_execute(run_id=run.id, searcher=_searcher(engines), index=row))
    before, after = (r.metrics if r and r.status == EvalRunStatus.DONE else {} for r in runs)
    worse = [
        name
        for name in GATED_METRICS
        if name not in after or after[name] < before.get(name, 0.0) - TOLERANCE
    ]
    return {
        "set": eval_set.name,
        "old": {name: before.get(name) for name in GATED_METRICS},
        "new": {name: after.get(name) for name in GATED_METRICS},
        "worse": worse,
        "old_run": runs[0].id if runs[0] else None,
        "new_run": runs[1].id if runs[1] else None,
    }


def index_switch_confirm(*, actor: Any) -> SearchIndex:
    """Switch to the held index although a set got worse on it (an admin's decision)."""
    require_admin(actor)
    with transaction.atomic():
        check = (
            IndexCheck.objects.select_for_update()
            .select_related("index")
            .filter(state=IndexCheckState.HELD, index__state=SearchIndexState.BUILDING)
            .first()
        )
        if check is None:
            raise NotFoundError("No rebuilt index is waiting for confirmation.")
        check.state = IndexCheckState.CONFIRMED
        check.decided_at = timezone.now()
        check.decided_by = actor_user(actor)
        check.save(update_fields=["state", "decided_at", "decided_by"])
        index = check.index
        token = uuid.uuid4().hex
        # The next build step finds no document left and switches (its check is confirmed).
        SearchIndex.objects.filter(id=index.id).update(
            build_token=token, heartbeat_at=timezone.now()
        )
        audit_record(
            kind="index.switch_confirmed",
            actor=actor,
            detail={"index": index.name, "model": check.new_model, "sets": len(check.comparison)},
        )
        transaction.on_commit(lambda: enqueue_build_index(index.id, token))
    return index
