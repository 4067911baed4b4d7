"""Template helpers of the web UI; permission questions are answered by webapp.core."""

from __future__ import annotations

from typing import Any

from django import template

from webapp.core.permissions import user_is_admin
from webapp.web.labels import (
    audit_kind_label,
    channel_label,
    document_error_label,
    review_kind_label,
    status_label,
)

register = template.Library()


@register.simple_tag
def is_admin(user: Any) -> bool:
    """Whether ``user`` may see the console (the one rule lives in webapp.core.permissions)."""
    return user_is_admin(user)


# The labels of webapp.web.labels, in the current language, as filters of the same meaning.
register.filter("document_status", status_label)
register.filter("audit_kind", audit_kind_label)
register.filter("channel", channel_label)  # web, api, v1, cli, mcp
register.filter("review_kind", review_kind_label)  # thumbs_down, abstained, weak


@register.filter
def document_error(document: Any) -> str:
    """Why ``document`` failed, in the current language ("" when it did not)."""
    return document_error_label(document.error_code, document.error_message)
