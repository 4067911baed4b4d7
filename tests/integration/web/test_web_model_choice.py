"""Choosing the answering model: users in the chat, admins per collection."""

from __future__ import annotations

import json

import pytest

from webapp.audit.models import AuditEvent
from webapp.chat.selectors import collection_model_default, user_model_default

pytestmark = pytest.mark.django_db

# Never contacted: choosing a default only reads the catalogue.
SMALL, LARGE = "http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"


@pytest.fixture
def two_models(configure):
    configure(
        ENCLAVE_LLM_ENDPOINTS=f"{SMALL}|small-llm",
        ENCLAVE_LLM_MODELS=json.dumps({"large-llm": {"tier": "large", "endpoints": [LARGE]}}),
    )


def test_the_chat_offers_the_models_and_remembers_the_users_choice(two_models, client_as, member):
    client = client_as(member)

    page = client.get("/").content.decode()
    saved = client.post("/chat/model", {"model": "large"}, content_type="application/json")
    again = client.get("/").content.decode()

    assert 'id="model-select"' in page and 'value="small-llm"' in page
    assert 'value="large" selected' not in page and 'value="large" selected' in again
    assert saved.json() == {"model": "large"}
    assert user_model_default(user=member) == "large"


def test_one_model_alone_offers_no_choice(client_as, member):
    assert 'id="model-select"' not in client_as(member).get("/").content.decode()


def test_admins_set_a_collection_model_and_it_is_audited(
    two_models, client_as, admin_user, member, hr_collection
):
    path = f"/console/collections/{hr_collection.id}/model"

    denied = client_as(member).post(path, {"model": "large"})
    page = client_as(admin_user).get(f"/console/collections/{hr_collection.id}/").content.decode()
    saved = client_as(admin_user).post(path, {"model": "large-llm"})
    unknown = client_as(admin_user).post(path, {"model": "gpt-9"}, follow=True)

    assert denied.status_code == 404
    assert 'id="collection-model"' in page
    assert saved.status_code == 302
    assert collection_model_default(collection_id=hr_collection.id) == "large-llm"
    assert "gpt-9" in unknown.content.decode()
    assert AuditEvent.objects.filter(kind="collection.model").count() == 1
