"""The official openai SDK talks to the stand-in: proof that it speaks the wire protocol."""

from __future__ import annotations

import openai

from tests.support.prompts import OFFICE_HOURS_MESSAGES as MESSAGES


def test_openai_sdk_streams_from_the_standin(standin) -> None:
    base_url, _ = standin(model="sdk-model")
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)

    stream = client.chat.completions.create(
        model="sdk-model",
        messages=MESSAGES,
        stream=True,
        max_tokens=256,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The office opens at 9am. [1]"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 9
    assert {c.model for c in chunks} == {"sdk-model"}


def test_openai_sdk_non_streaming_models_and_errors(standin) -> None:
    base_url, _ = standin(model="sdk-model", max_model_len=300)
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)

    completion = client.chat.completions.create(model="sdk-model", messages=MESSAGES, max_tokens=16)
    assert completion.choices[0].message.content == "The office opens at 9am. [1]"
    assert [model.id for model in client.models.list()] == ["sdk-model"]

    try:
        client.chat.completions.create(model="sdk-model", messages=MESSAGES, max_tokens=5000)
    except openai.BadRequestError as exc:
        assert exc.status_code == 400
        assert "maximum context length is 300 tokens" in exc.message
    else:
        raise AssertionError("expected a 400 for a prompt over max_model_len")
