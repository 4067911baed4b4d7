"""The OpenAI-compatible endpoints with the official ``openai`` SDK and LangChain's ChatOpenAI."""

from __future__ import annotations

import openai
import pytest
from langchain_openai import ChatOpenAI

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture
def client(api_site):
    return openai.OpenAI(base_url=f"{api_site.url}/v1", api_key=api_site.tokens["alice"])


def test_models_are_enclave_assistants(client):
    models = {m.id: m for m in client.models.list()}
    assert {"enclave", "enclave:HR"} <= set(models)
    assert models["enclave:HR"].owned_by == "enclave"
    assert client.models.retrieve("enclave:HR").id == "enclave:HR"


def test_completion_cites_in_the_text_and_in_the_enclave_field(client, api_site):
    completion = client.chat.completions.create(
        model="enclave:HR",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": QUESTION},
        ],
        temperature=0,
    )
    text = completion.choices[0].message.content
    assert "twenty-seven days" in text and "[1]" in text
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra["enclave"]
    cited = extra["citations"][0]
    assert (cited["number"], cited["document_id"], cited["page"]) == (1, api_site.handbook_id, 2)
    assert extra["grounded"] is True

    # The extra conversation_id continues the Enclave conversation.
    follow = client.chat.completions.create(
        model="enclave:HR",
        messages=[{"role": "user", "content": "Who approves leave requests?"}],
        extra_body={"conversation_id": extra["conversation_id"]},
    )
    assert follow.model_extra["enclave"]["conversation_id"] == extra["conversation_id"]
    assert "manager" in follow.choices[0].message.content


def test_streamed_completion_ends_with_citations_and_usage(client, api_site):
    stream = client.chat.completions.create(
        model="enclave",
        messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "twenty-seven days" in text
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finished) == 1
    assert finished[0].model_extra["enclave"]["citations"][0]["page"] == 2
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert len({c.id for c in chunks}) == 1


def test_bad_requests_surface_as_sdk_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]
        )
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="enclave", messages=[{"role": "system", "content": "no question"}]
        )
    bad_key = openai.OpenAI(base_url=client.base_url, api_key="enc_wrong")
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()


def test_langchain_chat_openai_invokes_and_streams(api_site):
    llm = ChatOpenAI(
        base_url=f"{api_site.url}/v1", api_key=api_site.tokens["alice"], model="enclave:HR"
    )
    message = llm.invoke(QUESTION)
    assert "twenty-seven days" in message.content and "[1]" in message.content
    streamed = "".join(chunk.content for chunk in llm.stream(QUESTION))
    assert "twenty-seven days" in streamed and "[1]" in streamed
