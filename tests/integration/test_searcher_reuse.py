"""Every question searches with the same searcher until its store or the search settings change."""

from __future__ import annotations

import pytest

from webapp.core.engines import close_unused
from webapp.knowledge.index_engines import get_searcher

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_questions_share_one_searcher_until_its_store_or_settings_change(live_worker, configure):
    first = get_searcher()
    assert get_searcher() is first

    configure(ENCLAVE_SEARCH_CANDIDATES="13")
    changed = get_searcher()
    assert changed is not first and changed.config.candidates == 13

    close_unused(set())  # as an index switch closes the stores it no longer needs
    reopened = get_searcher()
    assert reopened is not changed and get_searcher() is reopened
