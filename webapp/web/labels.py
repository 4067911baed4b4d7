"""Translated labels for values stored in English (statuses, audit kinds, review kinds)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

__all__ = [
    "AUDIT_KIND_LABELS",
    "CHANNEL_LABELS",
    "REVIEW_KIND_LABELS",
    "STATUS_LABELS",
    "audit_kind_label",
    "channel_label",
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
