"""Rebuild Enclave's settings and chat router from ENCLAVE_* variables inside a test.

The settings object and the chat router are cached per process; a test that points
the site at other model servers sets the variables, rebuilds both, and must put
everything back (closing the router it opened) for the tests after it.
"""

from __future__ import annotations

import pytest

from webapp.config.settings import reset_settings_cache
from webapp.core import engines

__all__ = ["settings_apply", "settings_restore"]


def settings_apply(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """Set ``env`` and rebuild the settings and the chat router from it."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    engines.get_chat_router.cache_clear()


def settings_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo every variable set, rebuild the settings, close the router built meanwhile."""
    monkeypatch.undo()
    reset_settings_cache()
    if engines.get_chat_router.cache_info().currsize:
        engines.get_chat_router().close()
    engines.get_chat_router.cache_clear()
