"""The per-key cache of models and stores: a slow load holds back only callers of its key."""

from __future__ import annotations

import threading

import pytest

from retrieval.once import KeyedOnce


def test_a_slow_build_holds_back_only_the_callers_of_its_key():
    cache: KeyedOnce[str, str] = KeyedOnce()
    cache.get("active model", lambda: "loaded")
    started, release = threading.Event(), threading.Event()
    builds: list[str] = []
    results: list[str] = []

    def slow_load() -> str:
        builds.append("new model")
        started.set()
        release.wait(30)
        return "new model loaded"

    first = threading.Thread(target=lambda: results.append(cache.get("new model", slow_load)))
    first.start()
    assert started.wait(30)
    # While the new model loads: the loaded one is served, a third one builds.
    assert cache.get("active model", lambda: "built again") == "loaded"
    assert cache.get("reranker", lambda: "reranker loaded") == "reranker loaded"
    second = threading.Thread(
        target=lambda: results.append(cache.get("new model", lambda: "built twice"))
    )
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert results == ["new model loaded", "new model loaded"]
    assert builds == ["new model"]
    assert sorted(cache.built()) == ["active model", "new model", "reranker"]


def test_a_failed_build_is_tried_again_by_the_next_caller():
    cache: KeyedOnce[str, int] = KeyedOnce()

    def broken() -> int:
        raise OSError("model directory missing")

    with pytest.raises(OSError, match="model directory missing"):
        cache.get("model", broken)
    assert cache.peek("model") is None
    assert cache.get("model", lambda: 384) == 384


def test_pop_and_clear_hand_back_what_was_built_to_be_closed():
    cache: KeyedOnce[str, str] = KeyedOnce()
    cache.get("index_a", lambda: "store a")
    cache.get("index_b", lambda: "store b")
    assert cache.pop("index_a") == "store a"
    assert cache.pop("index_a") is None
    assert cache.clear() == ["store b"]
    assert cache.built() == []
