"""Which model answers: the defaults users and admins set, and routing to a stored default."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from inference import ModelRouter, Route
from inference.errors import UnknownModelError
from retrieval import Passage
from webapp.audit.services import audit_record
from webapp.chat.models import ModelDefault
from webapp.core.engines import get_chat_router
from webapp.core.errors import ValidationError
from webapp.core.permissions import require_admin

__all__ = [
    "COLLECTION_MODEL",
    "collection_default",
    "collection_model_default_set",
    "route_to_default",
    "user_model_default_set",
]

logger = logging.getLogger(__name__)

COLLECTION_MODEL = "collection.model"  # audit kind (a plain string: no migration of the choices)


def _checked_model(model: str) -> str:
    """``model`` stripped and known to the catalogue ("" stays "": no default)."""
    model = model.strip()
    if model:
        try:
            get_chat_router().resolve(model)
        except UnknownModelError as exc:
            raise ValidationError(str(exc)) from None
    return model


def user_model_default_set(*, user: Any, model: str) -> None:
    """The model (name or tier) answering this user's questions; "" goes back to automatic."""
    model = _checked_model(model)
    if model:
        ModelDefault.objects.update_or_create(user=user, defaults={"model": model})
    else:
        ModelDefault.objects.filter(user=user).delete()


def collection_model_default_set(*, collection: Any, model: str, actor: Any) -> None:
    """The model answering questions about ``collection`` (admins); "" goes back to automatic."""
    require_admin(actor)
    model = _checked_model(model)
    if model:
        ModelDefault.objects.update_or_create(collection=collection, defaults={"model": model})
    else:
        ModelDefault.objects.filter(collection=collection).delete()
    audit_record(
        kind=COLLECTION_MODEL,
        actor=actor,
        detail={"collection_id": collection.id, "model": model or "automatic"},
    )


def collection_default(
    collection_ids: Sequence[int] | None,
    passages: Sequence[Passage],
    defaults: dict[int, tuple[str, str]],
) -> tuple[str, str]:
    """(model, collection name) when the asked collections, else the best passage's, have one.

    ``defaults``: collection id -> (model, collection name), as ``model_defaults_for`` reads them.
    """
    ids = list(collection_ids or [])
    if not ids and passages:
        ids = [passages[0].collection_id]
    found = {defaults[i] for i in ids if i in defaults}
    models = {model for model, _name in found}
    if not ids or len(models) != 1 or len(found) != len(ids):
        return "", ""
    model, name = sorted(found)[0]
    return model, name


def route_to_default(router: ModelRouter, question: str, model: str, why: str) -> Route:
    """Route to a stored default; one the catalogue no longer has falls back to automatic."""
    if not model:
        return router.route(question=question)
    try:
        return router.route(question=question, requested=model, why=why)
    except UnknownModelError:
        logger.warning("%s %r is not in the catalogue any more; routing by question", why, model)
        return router.route(question=question)
