"""Translated labels for values stored in English (statuses, audit kinds, failure reasons)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

__all__ = [
    "AUDIT_KIND_LABELS",
    "CHANNEL_LABELS",
    "REVIEW_KIND_LABELS",
    "STATUS_LABELS",
    "DOCUMENT_ERROR_LABELS",
    "audit_kind_label",
    "channel_label",
    "document_error_label",
    "review_kind_label",
    "status_label",
]

STATUS_LABELS = {
    "queued": _("Queued"),
    "parsing": _("Parsing"),
    "chunking": _("Chunking"),
    "embedding": _("Embedding"),
    "indexing": _("Indexing"),
    "indexed": _("Indexed"),
    "failed": _("Failed"),
    "deleting": _("Deleting"),
}

AUDIT_KIND_LABELS = {
    "ask": _("Question answered"),
    "document.upload": _("Document uploaded"),
    "document.delete": _("Document deleted"),
    "document.download": _("Document downloaded"),
    "document.groups": _("Document groups changed"),
    "collection.create": _("Collection created"),
    "collection.groups": _("Collection groups changed"),
    "collection.rename": _("Collection renamed"),
    "collection.delete": _("Collection deleted"),
    "document.rename": _("Document renamed"),
    "user.create": _("User created"),
    "user.groups": _("User groups changed"),
    "user.active": _("User activated or deactivated"),
    "user.password": _("Password changed"),
    "user.delete": _("User deleted"),
    "group.create": _("Group created"),
    "token.create": _("API token created"),
    "token.revoke": _("API token revoked"),
    "token.revoke_all": _("API tokens revoked (user deactivated)"),
    "document.erased": _("Deleted text erased from disk"),
    "evalset.create": _("Evaluation set uploaded"),
    "evalset.run": _("Evaluation run started"),
    "index.switch_confirmed": _("Held index switched by an admin"),
}

# Where a conversation or a question came from (webapp.chat.models.Channel).
CHANNEL_LABELS = {
    "web": _("Web chat"),
    "api": _("API"),
    "v1": _("OpenAI API"),
    "cli": _("Terminal"),
    "mcp": _("MCP"),
}


# Kinds of answer on the console's Feedback page (webapp.chat.review_selectors).
REVIEW_KIND_LABELS = {
    "thumbs_down": _("Thumbs down"),
    "abstained": _("Not found in the documents"),
    "weak": _("Weakly supported"),
}

# Why a document failed (Document.error_code: retrieval's error codes and the worker's
# own). The stored message is the leaf library's English text, with details (the
# parser's reason, a page count) that only English readers get verbatim.
DOCUMENT_ERROR_LABELS = {
    "parse_error": _("The file is damaged or could not be read."),
    "encrypted_document": _("The file is password protected; upload it without a password."),
    "unsupported_format": _("This file type cannot be read."),
    "empty_document": _("The file has no text that could be extracted."),
    "document_too_large": _("The file is over the size limit."),
    "index_unavailable": _("The search index is unavailable; it will be retried."),
    "index_configuration": _(
        "The search index was built with other settings; an administrator must check it."
    ),
    "embedding_model": _("The embedding model failed; an administrator must check it."),
    "original_missing": _("The original file is not in the backup; upload it again."),
    "not_in_new_index": _(
        "Not in the new search index: the file could not be read when the index was rebuilt; "
        "check that it is intact and retry."
    ),
    "internal_error": _("Unexpected error while indexing; an administrator can see it in the log."),
    "retrieval_error": _("The file could not be indexed."),
}


def document_error_label(code: str, message: str) -> str:
    """Why a document failed, in the current language (English: the stored detail)."""
    if not message or (get_language() or "en").startswith("en"):
        return message
    label = DOCUMENT_ERROR_LABELS.get(code) or DOCUMENT_ERROR_LABELS["retrieval_error"]
    return str(label)


def review_kind_label(kind: str) -> str:
    """A kind of answer to review in the current language."""
    return str(REVIEW_KIND_LABELS.get(kind, kind))


def channel_label(channel: str) -> str:
    """A conversation's channel in the current language."""
    return str(CHANNEL_LABELS.get(channel, channel))


def status_label(status: str) -> str:
    """A document status in the current language."""
    return str(STATUS_LABELS.get(status, status))


def audit_kind_label(kind: str) -> str:
    """An audit kind in the current language (unknown kinds as they are)."""
    return str(AUDIT_KIND_LABELS.get(kind, kind))
