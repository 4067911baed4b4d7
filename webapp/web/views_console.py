"""The admin console: collections, their readers, uploads, re-indexing and live progress."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retrieval import supported_extensions
from webapp.chat.selectors import collection_model_default, model_choices
from webapp.chat.services import collection_model_default_set
from webapp.core.errors import EnclaveError
from webapp.knowledge.indexes import search_index_overview
from webapp.knowledge.models import IN_PROGRESS_STATUSES, Collection, DocumentStatus
from webapp.knowledge.selectors import (
    access_collection,
    access_document,
    collection_list_visible_to,
    document_list_visible_to,
    document_status_counts,
    document_status_snapshot,
)
from webapp.knowledge.services import (
    collection_create,
    collection_reindex,
    collection_set_groups,
    document_create,
    document_delete,
    document_retry,
    document_set_groups,
    documents_reindex_all,
)
from webapp.web.forms import CollectionCreateForm, CollectionGroupsForm, DocumentGroupsForm
from webapp.web.http import (
    admin_required,
    error_text,
    flashed,
    form_errors,
    json_error,
    or_404,
    parse_id_list,
)
from webapp.web.labels import STATUS_LABELS, document_error_label
from webapp.web.views_evalsets import index_check_context

# The status filter of a collection's documents: name -> statuses shown.
STATUS_FILTERS = {
    "in_progress": tuple(IN_PROGRESS_STATUSES),
    "indexed": (DocumentStatus.INDEXED,),
    "failed": (DocumentStatus.FAILED,),
}


@admin_required
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    """Collections with their document counts, and the form that creates one."""
    form = CollectionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, "name"):
            collection = collection_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                group_ids=form.group_ids(),
                actor=request.user,
            )
            messages.success(request, _("Collection “%s” created.") % collection.name)
            return redirect("console-collection", collection_id=collection.id)
    context = {
        "nav": "console",
        "section": "collections",
        "form": form,
        "collections": collection_list_visible_to(user=request.user)
        .order_by("name")
        .prefetch_related("allowed_groups"),
        "search_index": search_index_overview(),
        "check": index_check_context(),
    }
    return render(request, "web/console.html", context, status=400 if form.errors else 200)


@never_cache
@admin_required
@require_GET
def console_search_index_status(request: HttpRequest) -> JsonResponse:
    """``{"active": {...}, "building": {...} | null}``: polled by the console while a build runs."""
    return JsonResponse(search_index_overview())


def _reindexed(request: HttpRequest, document_ids: list[int]) -> None:
    if document_ids:
        messages.success(
            request,
            _("%(count)d document(s) queued for re-indexing.") % {"count": len(document_ids)},
        )
    else:
        messages.info(request, _("No documents to re-index."))


@admin_required
@require_POST
def console_reindex_all(request: HttpRequest) -> HttpResponse:
    """Index every document again in place; they stay searchable meanwhile."""
    with transaction.atomic():
        document_ids = documents_reindex_all(actor=request.user)
    _reindexed(request, document_ids)
    return redirect("console")


@admin_required
@require_POST
def console_collection_reindex(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Index a collection's documents again in place; their progress shows in its list."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    with transaction.atomic():
        document_ids = collection_reindex(collection=collection, actor=request.user)
    _reindexed(request, document_ids)
    return redirect("console-collection", collection_id=collection.id)


@admin_required
@require_GET
def console_collection(request: HttpRequest, collection_id: int) -> HttpResponse:
    """One collection: its readers, the upload form and its documents."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    groups_form = CollectionGroupsForm(initial={"groups": collection.allowed_groups.all()})
    return _collection_page(request, collection, groups_form)


def _collection_page(
    request: HttpRequest,
    collection: Collection,
    groups_form: CollectionGroupsForm,
    status: int = 200,
) -> HttpResponse:
    every = document_list_visible_to(user=request.user, collection_id=collection.id)
    counts = document_status_counts(user=request.user, collection_id=collection.id)
    chosen = request.GET.get("status", "")
    if chosen not in STATUS_FILTERS:
        chosen = ""
    documents = every.filter(status__in=STATUS_FILTERS[chosen]) if chosen else every
    collection_groups = collection.allowed_groups.order_by("name")
    context = {
        "nav": "console",
        "section": "collections",
        "collection": collection,
        "groups_form": groups_form,
        "documents": documents.prefetch_related("allowed_groups"),
        "collection_groups": list(collection_groups),
        "status_filter": chosen,
        "status_counts": counts,
        "status_labels": {key: str(label) for key, label in STATUS_LABELS.items()},
        "model_choices": model_choices(),
        "model_default": collection_model_default(collection_id=collection.id),
        # The file picker offers what the parsers read (images too: OCR).
        "upload_accept": ",".join(sorted(supported_extensions())),
    }
    return render(request, "web/console_collection.html", context, status=status)


@admin_required
@require_POST
def console_collection_groups(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Change who may read the collection."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    form = CollectionGroupsForm(request.POST)
    if not form.is_valid():
        return _collection_page(request, collection, form, status=400)
    collection_set_groups(collection=collection, group_ids=form.group_ids(), actor=request.user)
    messages.success(request, _("Allowed groups saved."))
    return redirect("console-collection", collection_id=collection.id)


@admin_required
@require_POST
def console_collection_model(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Choose the model answering questions about the collection ("" for automatic)."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    with flashed(request, _("Answering model saved.")):
        collection_model_default_set(
            collection=collection, model=request.POST.get("model", ""), actor=request.user
        )
    return redirect("console-collection", collection_id=collection.id)


@admin_required
@require_POST
def console_collection_upload(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Store each uploaded file and queue its ingestion; duplicates are reported, not re-queued."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, _("Choose at least one file to upload."))
    queued = 0
    for upload in files:
        try:
            _document, created = document_create(
                collection=collection, filename=upload.name, content=upload, actor=request.user
            )
        except EnclaveError as exc:
            messages.error(request, f"{upload.name}: {error_text(exc)}")
            continue
        if created:
            queued += 1
        else:
            messages.warning(request, _("“%s” is already in this collection.") % upload.name)
    if queued:
        messages.success(request, _("%(count)d file(s) queued for indexing.") % {"count": queued})
    return redirect("console-collection", collection_id=collection.id)


@admin_required
@require_POST
def console_document_retry(request: HttpRequest, document_id: int) -> HttpResponse:
    """Index a document again from scratch."""
    document = or_404(access_document, user=request.user, document_id=document_id)
    document_retry(document=document, actor=request.user)
    messages.success(request, _("“%s” queued again.") % document.title)
    return redirect("console-collection", collection_id=document.collection_id)


@admin_required
@require_POST
def console_document_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    """Erase a document from the index, the disk and the database."""
    document = or_404(access_document, user=request.user, document_id=document_id)
    collection_id = document.collection_id
    document_delete(document=document, actor=request.user)
    messages.success(request, _("“%s” deleted.") % document.title)
    return redirect("console-collection", collection_id=collection_id)


@never_cache
@admin_required
@require_GET
def console_document_status(request: HttpRequest) -> JsonResponse:
    """``{"documents": [...]}`` for ``?ids=1,2,3``: status and progress, polled by the console.

    With ``&collection=ID`` also ``"counts"``: the collection's status counters.
    """
    try:
        ids = parse_id_list(request.GET.get("ids", ""))
        collection_ids = parse_id_list(request.GET.get("collection", ""))
    except EnclaveError as exc:
        return json_error(exc)
    documents = document_status_snapshot(user=request.user, document_ids=ids)
    for document in documents:  # the live rows show the same reason as the page
        document["error"] = document_error_label(document.pop("error_code"), document["error"])
    body: dict[str, object] = {"documents": documents}
    if collection_ids:
        collection = or_404(access_collection, user=request.user, collection_id=collection_ids[0])
        body["counts"] = document_status_counts(user=request.user, collection_id=collection.id)
    return JsonResponse(body)


@admin_required
@require_POST
def console_document_groups(request: HttpRequest, document_id: int) -> HttpResponse:
    """Restrict one document to some of its collection's groups (none: the whole collection's)."""
    document = or_404(access_document, user=request.user, document_id=document_id)
    form = DocumentGroupsForm(
        request.POST, collection_groups=document.collection.allowed_groups.all()
    )
    if not form.is_valid():
        messages.error(request, _("Choose groups of this collection."))
    else:
        with flashed(request, _("Readers of “%s” saved.") % document.title):
            document_set_groups(document=document, group_ids=form.group_ids(), actor=request.user)
    return redirect("console-collection", collection_id=document.collection_id)
