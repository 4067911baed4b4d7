"""Opening a stored document, after the read permission check."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from webapp.audit.models import AuditEvent
from webapp.audit.services import audit_record
from webapp.knowledge.selectors import access_document
from webapp.web.http import or_404

PDF_MIME_TYPE = "application/pdf"


@login_required
@require_GET
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    """The original file: inline for PDFs (so ``#page=N`` works), an attachment otherwise."""
    document = or_404(access_document, user=request.user, document_id=document_id)
    path = Path(document.stored_path)
    if not path.is_file():
        raise Http404
    is_pdf = document.mime_type == PDF_MIME_TYPE or document.filename.lower().endswith(".pdf")
    audit_record(
        kind=AuditEvent.Kind.DOCUMENT_DOWNLOAD,
        actor=request.user,
        detail={"document_id": document.id},
    )
    # Anything but a PDF is an attachment: an uploaded HTML file must never run on our origin.
    return FileResponse(
        path.open("rb"),
        as_attachment=not is_pdf,
        filename=document.filename,
        content_type=PDF_MIME_TYPE if is_pdf else document.mime_type or "application/octet-stream",
    )
