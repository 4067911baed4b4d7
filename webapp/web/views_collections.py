"""Console actions on a collection and its documents: rename a collection, delete it after a
confirmation page, rename a document."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from webapp.knowledge.selectors import access_collection, access_document
from webapp.knowledge.services import collection_delete, collection_rename, document_rename
from webapp.web.http import admin_required, flashed, or_404


@admin_required
@require_POST
def console_collection_rename(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Give the collection another name; its documents and readers stay."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    with flashed(request, lambda: _("Collection renamed to “%s”.") % collection.name):
        collection_rename(
            collection=collection, name=request.POST.get("name", ""), actor=request.user
        )
    return redirect("console-collection", collection_id=collection.id)


@admin_required
@require_http_methods(["GET", "POST"])
def console_collection_delete(request: HttpRequest, collection_id: int) -> HttpResponse:
    """Say what goes (GET), then erase the collection with every document (POST)."""
    collection = or_404(access_collection, user=request.user, collection_id=collection_id)
    if request.method == "POST":
        name = collection.name
        erased = collection_delete(collection=collection, actor=request.user)
        messages.success(
            request,
            _("Collection “%(name)s” deleted with %(n)s documents.") % {"name": name, "n": erased},
        )
        return redirect("console")
    context = {
        "nav": "console",
        "section": "collections",
        "collection": collection,
        "documents": collection.documents.count(),
    }
    return render(request, "web/console_collection_delete.html", context)


@admin_required
@require_POST
def console_document_rename(request: HttpRequest, document_id: int) -> HttpResponse:
    """Give a document an administrator's title (its passages get it at a re-index, queued)."""
    document = or_404(access_document, user=request.user, document_id=document_id)
    with flashed(request, lambda: _("Document renamed to “%s”.") % document.title):
        document_rename(document=document, title=request.POST.get("title", ""), actor=request.user)
    return redirect("console-collection", collection_id=document.collection_id)
