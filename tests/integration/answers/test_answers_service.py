"""conversation_ask with the model catalogue, follow-ups and the support check (real engines)."""

from __future__ import annotations

import json
import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from tests.standin.process import start_standin, stop
from tests.support.documents import make_handbook_pdf
from webapp.chat.events import DeltaEvent, DoneEvent, ErrorEvent, event_data
from webapp.chat.models import Conversation, Message
from webapp.chat.services import (
    PREPARING,
    collection_model_default_set,
    conversation_ask,
    user_model_default_set,
)
from webapp.core.errors import PermissionDeniedError, ValidationError
from webapp.knowledge.models import Collection
from webapp.knowledge.services import collection_create, document_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture
def reader(tmp_path, wait_indexed):
    group = Group.objects.create(name="hr")
    admin = User.objects.create_user("root-admin", password="x", is_staff=True)
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(group)
    collection = collection_create(name="HR", group_ids=[group.id], actor=admin)
    path = make_handbook_pdf(tmp_path / "handbook.pdf")
    with transaction.atomic(), path.open("rb") as handle:
        document, _ = document_create(
            collection=collection, filename=path.name, content=handle, actor=admin
        )
    assert wait_indexed([document.id])[document.id].status == "indexed"
    return alice


def _done(events) -> dict:
    events = list(events)
    assert isinstance(events[-1], DoneEvent), events[-1]
    return event_data(events[-1])


@pytest.fixture
def small_and_large(configure):
    """Stand-ins for small-llm (the default) and large-llm (tier large), configured."""
    small_url, small = start_standin(model="small-llm")
    large_url, large = start_standin(model="large-llm")
    try:
        configure(
            ENCLAVE_LLM_ENDPOINTS=f"{small_url}|small-llm",
            ENCLAVE_LLM_MODELS=json.dumps(
                {"large-llm": {"tier": "large", "endpoints": [large_url]}}
            ),
        )
        yield small_url
    finally:
        stop(small)
        stop(large)


def test_the_router_picks_by_question_and_honours_a_requested_model(
    reader, small_and_large
) -> None:
    simple = _done(conversation_ask(user=reader, question=QUESTION))
    asked = _done(conversation_ask(user=reader, question=QUESTION, model="large"))
    hard = _done(
        conversation_ask(user=reader, question="Explain why employees get paid annual leave.")
    )
    conversations, messages = Conversation.objects.count(), Message.objects.count()
    [error] = list(conversation_ask(user=reader, question=QUESTION, model="gpt-9"))

    assert [simple["model"], asked["model"], hard["model"]] == [
        "small-llm",
        "large-llm",
        "large-llm",
    ]
    assert "twenty-seven days" in simple["text"] and simple["citations"] == [1]
    stored = Message.objects.get(id=asked["message_id"])
    assert (stored.model, stored.route_reason) == ("large-llm", "requested 'large'")
    assert Message.objects.get(id=hard["message_id"]).route_reason == "hard: asks to 'explain'"
    assert stored.tokens_out == asked["tokens_out"] > 0
    assert isinstance(error, ErrorEvent) and error.code == "unknown_model"
    assert (Conversation.objects.count(), Message.objects.count()) == (conversations, messages)


def test_defaults_question_then_user_then_collection_then_router(
    reader, small_and_large, configure
) -> None:
    admin = User.objects.get(username="root-admin")
    hr = Collection.objects.get(name="HR")
    automatic = _done(conversation_ask(user=reader, question=QUESTION))
    collection_model_default_set(collection=hr, model="large", actor=admin)
    # No collection chosen: the best passage's collection (HR) decides.
    by_collection = _done(conversation_ask(user=reader, question=QUESTION))
    chosen = _done(conversation_ask(user=reader, question=QUESTION, collection_ids=[hr.id]))
    user_model_default_set(user=reader, model="small-llm")
    by_user = _done(conversation_ask(user=reader, question=QUESTION))
    by_question = _done(conversation_ask(user=reader, question=QUESTION, model="large-llm"))
    user_model_default_set(user=reader, model="")
    back_to_collection = _done(conversation_ask(user=reader, question=QUESTION))
    with pytest.raises(ValidationError):
        user_model_default_set(user=reader, model="gpt-9")
    with pytest.raises(PermissionDeniedError):
        collection_model_default_set(collection=hr, model="small", actor=reader)
    # The catalogue loses the stored default: answers fall back to the router.
    configure(ENCLAVE_LLM_ENDPOINTS=f"{small_and_large}|small-llm", ENCLAVE_LLM_MODELS="{}")
    stale = _done(conversation_ask(user=reader, question=QUESTION))

    assert [
        automatic["model"],
        by_collection["model"],
        chosen["model"],
        by_user["model"],
        by_question["model"],
        back_to_collection["model"],
        stale["model"],
    ] == ["small-llm", "large-llm", "large-llm", "small-llm", "large-llm", "large-llm", "small-llm"]
    assert by_collection["route_reason"] == "default of 'HR' 'large'"
    assert by_user["route_reason"] == "user default 'small-llm'"
    assert by_question["route_reason"] == "requested 'large-llm'"
    assert stale["route_reason"].startswith("simple:")


def test_extractive_follow_up_is_rewritten_by_the_heuristic_and_stored(reader, configure) -> None:
    configure(ENCLAVE_LLM_ENDPOINTS="", ENCLAVE_ANSWER_SUPPORT_CHECK="true")
    first = _done(
        conversation_ask(user=reader, question="How many days of paid annual leave in 2022?")
    )

    follow = _done(
        conversation_ask(
            user=reader, question="and in 2023?", conversation_id=first["conversation_id"]
        )
    )

    rewritten = "How many days of paid annual leave in 2023?"
    assert follow["rewritten_query"] == rewritten
    assert "twenty-seven days" in follow["text"] and follow["backend"] == "extractive"
    stored = Message.objects.get(id=follow["message_id"])
    assert stored.rewritten_query == rewritten
    assert Message.objects.get(id=first["message_id"]).rewritten_query == ""
    # Each quoted sentence cites the passage it was quoted from (the first cited: [1]).
    leave = [item for item in stored.support if "twenty-seven days" in item["sentence"]]
    assert leave and (leave[0]["status"], leave[0]["citations"]) == ("cited", [1])
    assert (stored.notice, stored.sentences_cited) == ("extractive", len(stored.support))
    assert stored.support == follow["support"]


def test_an_answer_is_recorded_after_the_questions_being_prepared(reader, monkeypatch) -> None:
    # Another question is still in retrieval: this answer's first token goes out, and
    # its records (question, answer) wait until that question is prepared.
    monkeypatch.setattr(PREPARING, "max_wait_s", 60)
    other = PREPARING.start()
    events = conversation_ask(user=reader, question=QUESTION)
    streamed = []
    for event in events:
        streamed.append(event)
        if isinstance(event, DeltaEvent):
            break
    conversation = Conversation.objects.get(id=streamed[0].conversation_id)
    rest: list[dict] = []
    recording = threading.Thread(target=lambda: rest.extend(events))
    recording.start()

    recording.join(timeout=0.3)
    assert recording.is_alive()
    assert not conversation.messages.exists()

    other.done()
    recording.join(timeout=60)
    assert isinstance(rest[-1], DoneEvent)
    assert list(conversation.messages.order_by("id").values_list("role", flat=True)) == [
        Message.Role.USER,
        Message.Role.ASSISTANT,
    ]
