"""LangChain's ChatOpenAI talks to the stand-in: a second client proving the wire format."""

from __future__ import annotations

import pytest

from tests.support.prompts import OFFICE_HOURS_MESSAGES as MESSAGES

langchain_openai = pytest.importorskip("langchain_openai")

PAIRS = [(m["role"], m["content"]) for m in MESSAGES]


def _chat(base_url: str, **options: object):
    return langchain_openai.ChatOpenAI(
        base_url=base_url, api_key="unused", model="lc-model", max_retries=0, **options
    )


def test_langchain_chat_openai_invokes_and_streams(standin) -> None:
    base_url, _ = standin(model="lc-model")
    chat = _chat(base_url, max_tokens=64)

    reply = chat.invoke(PAIRS)
    chunks = list(chat.stream(PAIRS))

    assert reply.content == "The office opens at 9am. [1]"
    assert reply.response_metadata["model_name"] == "lc-model"
    assert reply.usage_metadata["output_tokens"] == 9
    assert "".join(chunk.content for chunk in chunks) == "The office opens at 9am. [1]"
    assert len(chunks) > 5


def test_langchain_sees_the_servers_context_overflow_as_a_bad_request(standin) -> None:
    import openai

    base_url, _ = standin(model="lc-model", max_model_len=300)

    with pytest.raises(openai.BadRequestError, match="maximum context length is 300 tokens"):
        _chat(base_url, max_tokens=5000).invoke(PAIRS)
