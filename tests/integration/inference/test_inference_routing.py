"""The model catalogue against stand-ins: routing by question, by request, and fallback."""

from __future__ import annotations

import json

import pytest

from inference import (
    ChatTurn,
    InferenceConfig,
    SourcePassage,
    UnknownModelError,
    answer_stream,
    build_catalogue,
    parse_endpoints,
    rewrite_question,
    router_from_config,
)

PASSAGES = [SourcePassage(1, "Badges are renewed every two years. Ask security.", "Security", 7)]


@pytest.fixture
def two_models(standin):
    small_url, small_process = standin(model="small-llm")
    large_url, _ = standin(model="large-llm")
    catalogue = build_catalogue(
        parse_endpoints(f"{small_url}|small-llm"),
        json.dumps(
            {
                "small-llm": {"tier": "small", "description": "fast"},
                "large-llm": {"tier": "large", "description": "accurate", "endpoints": [large_url]},
            }
        ),
    )
    config = InferenceConfig(models=catalogue, connect_timeout_s=0.5, first_token_timeout_s=2)
    router = router_from_config(config)
    yield router, small_process
    router.close()


def _answer(router, question: str, requested: str | None = None):
    route = router.route(question=question, requested=requested)
    events = answer_stream(
        route.model, question=question, passages=PASSAGES, fallbacks=route.fallbacks
    )
    return route, list(events)[-1].answer


def test_simple_questions_go_to_the_small_model_hard_ones_to_the_large(two_models) -> None:
    router, _ = two_models

    simple_route, simple = _answer(router, "How often are badges renewed?")
    hard_route, hard = _answer(router, "Explain why badges are renewed and compare the options.")

    assert (simple_route.name, simple.model) == ("small-llm", "small-llm")
    assert simple_route.reason == "simple: short factual question (5 words)"
    assert (hard_route.name, hard.model) == ("large-llm", "large-llm")
    assert hard_route.reason == "hard: asks to 'explain'"
    assert router.describe() == [
        {"name": "small-llm", "tier": "small", "description": "fast", "backend": "openai"},
        {"name": "large-llm", "tier": "large", "description": "accurate", "backend": "openai"},
    ]


def test_the_user_may_ask_for_a_model_or_a_tier(two_models) -> None:
    router, _ = two_models

    assert _answer(router, "How often?", requested="large")[1].model == "large-llm"
    assert _answer(router, "How often?", requested="large-llm")[1].model == "large-llm"
    with pytest.raises(UnknownModelError) as excinfo:
        router.route(question="How often?", requested="gpt-9")
    assert excinfo.value.code == "unknown_model"
    assert "small-llm, large-llm, small, large" in str(excinfo.value)


def test_a_model_whose_replicas_are_all_down_falls_back_to_another(two_models) -> None:
    router, small_process = two_models
    small_process.kill()
    small_process.wait()

    route, answer = _answer(router, "How often are badges renewed?")

    assert route.name == "small-llm"
    assert (answer.model, answer.text) == ("large-llm", "Badges are renewed every two years. [1]")
    # Every model's replicas, as /metrics reports them: the killed one is out of the rotation.
    status = {(s.model, s.up) for s in router.replica_status()}
    assert status == {("small-llm", False), ("large-llm", True)}
    assert answer.replica == next(s.base_url for s in router.replica_status() if s.up)


def test_the_model_rewrites_a_follow_up_into_a_standalone_query(two_models) -> None:
    router, _ = two_models
    history = [
        ChatTurn("user", "How often are badges renewed?"),
        ChatTurn("assistant", "Badges are renewed every two years. [1]"),
    ]

    rewrite = rewrite_question("and for visitors?", history, model=router.rewriter)

    assert (rewrite.method, rewrite.query) == (
        "llm",
        "How often are badges renewed (and for visitors?)",
    )
    assert (
        rewrite_question("How often are badges renewed?", [], model=router.rewriter).method
        == "none"
    )
