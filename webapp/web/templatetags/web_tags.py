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


@register.filter
def document_status(status: str) -> str:
    """A document status in the current language."""
    return status_label(status)


@register.filter
def audit_kind(kind: str) -> str:
    """An audit event kind in the current language."""
    return audit_kind_label(kind)


@register.filter
def channel(value: str) -> str:
    """A conversation's channel (web, api, v1, cli, mcp) in the current language."""
    return channel_label(value)


@register.filter
def review_kind(kind: str) -> str:
    """A kind of answer to review (thumbs_down, abstained, weak) in the current language."""
    return review_kind_label(kind)


@register.filter
def document_error(document: Any) -> str:
    """Why ``document`` failed, in the current language ("" when it did not)."""
    return document_error_label(document.error_code, document.error_message)
