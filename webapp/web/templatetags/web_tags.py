"""Template helpers of the web UI; permission questions are answered by webapp.core."""

from __future__ import annotations

from typing import Any

from django import template

from webapp.core.permissions import user_is_admin

register = template.Library()


@register.simple_tag
def is_admin(user: Any) -> bool:
    """Whether ``user`` may see the console (the one rule lives in webapp.core.permissions)."""
    return user_is_admin(user)
