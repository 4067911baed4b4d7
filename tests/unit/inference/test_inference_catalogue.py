"""The model catalogue settings and the routing rule."""

from __future__ import annotations

import pytest

from inference import (
    Endpoint,
    ExtractiveChatModel,
    InferenceConfig,
    ModelSpec,
    OpenAICompatibleChatModel,
    build_catalogue,
    classify_question,
    parse_endpoints,
    router_from_config,
)

ENDPOINTS = parse_endpoints(
    "http://gpu1:8000/v1|llama-8b,http://gpu2:8000/v1|llama-8b|2,http://gpu3:8000|llama-70b"
)


def test_replicas_with_the_same_model_name_are_one_model() -> None:
    catalogue = build_catalogue(ENDPOINTS)

    assert [(spec.name, spec.tier, len(spec.endpoints)) for spec in catalogue] == [
        ("llama-8b", "small", 2),
        ("llama-70b", "small", 1),
    ]
    assert catalogue[0].endpoints[1] == Endpoint("http://gpu2:8000/v1", "llama-8b", 2)


def test_json_catalogue_describes_models_and_adds_replicas() -> None:
    models = (
        '{"llama-70b": {"tier": "large", "description": "hard questions",'
        ' "endpoints": ["http://gpu4:8000/v1|3"], "context_tokens": 32768,'
        ' "max_answer_tokens": 1024}}'
    )

    small, large = build_catalogue(ENDPOINTS, models)

    assert small.tier == "small"
    assert large == ModelSpec(
        name="llama-70b",
        endpoints=(
            Endpoint("http://gpu3:8000/v1", "llama-70b"),
            Endpoint("http://gpu4:8000/v1", "llama-70b", 3),
        ),
        tier="large",
        description="hard questions",
        context_tokens=32768,
        max_answer_tokens=1024,
    )


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ('{"x": {"tier": "huge", "endpoints": ["http://a:1"]}}', "tier must be one of"),
        ('{"x": {"replicas": 2}}', "unknown keys: ['replicas']"),
        ('{"x": {}}', "model 'x' has no endpoints"),
        ('["x"]', "must be a JSON object"),
        ('{"x": {"endpoints": "http://a:1"}}', "'endpoints' must be a list"),
        ('{"x": {"endpoints": ["http://a:1"], "context_tokens": 0}}', "integer >= 1"),
    ],
)
def test_bad_catalogues_fail_with_a_clear_message(models: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_catalogue((), models)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many vacation days do I get?", "simple"),
        ("Quantos dias de férias eu tenho?", "simple"),
        ("Compare the parental leave of 2022 and 2023.", "hard"),
        ("Explique por que o reembolso foi negado.", "hard"),
        ("What is the VPN? And who runs it?", "hard"),
        (" ".join(["word"] * 40), "hard"),
    ],
)
def test_classify_question(question: str, kind: str) -> None:
    assert classify_question(question)[0] == kind


def test_each_kind_is_built_by_its_builder_and_quoting_is_the_last_resort() -> None:
    models = '{"quotes": {"kind": "extractive", "description": "no generation"}}'
    catalogue = build_catalogue(parse_endpoints("http://127.0.0.1:9/v1|llama-8b"), models)
    router = router_from_config(InferenceConfig(models=catalogue, health_interval_s=0))
    try:
        generated = router.route(question="How many days?")
        quoted = router.route(question="How many days?", requested="quotes")

        assert [(spec.name, spec.kind) for spec in catalogue] == [
            ("llama-8b", "openai"),
            ("quotes", "extractive"),
        ]
        assert isinstance(generated.model, OpenAICompatibleChatModel)
        assert isinstance(quoted.model, ExtractiveChatModel) and quoted.model.name == "quotes"
        # Quoting is not a fallback between models, it is the last resort of a generating one.
        assert generated.fallbacks == () and generated.last_resort is not None
        assert generated.last_resort.generative is False
        assert quoted.last_resort is None
        assert router.rewriter is generated.model
    finally:
        router.close()


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ('{"x": {"kind": "gguf"}}', "kind must be one of"),
        ('{"x": {"kind": "extractive", "endpoints": ["http://a:1"]}}', "it takes no endpoints"),
    ],
)
def test_bad_kinds_fail_with_a_clear_message(models: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_catalogue((), models)
