"""Endpoint configuration parsing."""

from __future__ import annotations

import pytest

from inference import Endpoint, InferenceConfig, parse_endpoints


def test_pipe_format_with_and_without_weight_normalises_base_urls() -> None:
    spec = "http://10.0.0.5:8000/v1|llama-3-8b, http://10.0.0.6:8000/|llama-3-8b|3"

    assert parse_endpoints(spec) == (
        Endpoint(base_url="http://10.0.0.5:8000/v1", model="llama-3-8b", weight=1),
        Endpoint(base_url="http://10.0.0.6:8000/v1", model="llama-3-8b", weight=3),
    )


def test_json_format_accepts_api_key_and_weight() -> None:
    spec = (
        '[{"base_url": "https://gpu1.corp/v1/", "model": "qwen", "weight": 2,'
        ' "api_key": "sk-secret-1"}]'
    )

    (endpoint,) = parse_endpoints(spec)

    assert endpoint == Endpoint("https://gpu1.corp/v1", "qwen", 2, "sk-secret-1")
    assert "sk-secret-1" not in repr(endpoint)


def test_empty_spec_means_no_endpoints_and_extractive_default() -> None:
    assert parse_endpoints("  ") == ()
    assert InferenceConfig().endpoints == ()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http://a:8000", "expected 'BASE_URL|MODEL'"),
        ("http://a:8000|m|x", "weight 'x' is not an integer"),
        ("http://a:8000|m|0", "weight must be an integer >= 1"),
        ("http://a:8000|m,,", "empty entry"),
        ("ftp://a|m", "must be an http(s) URL"),
        ("http://a|  ", "empty model name"),
        ("[{", "not valid JSON"),
        ('{"base_url": "http://a"}', "expected 'BASE_URL|MODEL'"),
        ('[{"base_url": "http://a"}]', "needs string 'base_url' and 'model'"),
        ('[{"base_url": "http://a", "model": "m", "wieght": 2}]', "unknown keys: ['wieght']"),
        ("[1]", "must be an object"),
    ],
)
def test_bad_specs_raise_value_error_with_clear_message(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_endpoints(spec)
    assert message in str(excinfo.value)
