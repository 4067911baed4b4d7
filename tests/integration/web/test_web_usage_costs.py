"""What answers cost on the console's usage page: per group, collection and model.

People of two groups ask through the REST API; the HR member's questions go to
small-llm (priced per 1,000 tokens), the engineer's to large-llm (priced per
hour of model time); both models are OpenAI-compatible stand-ins that report
token usage. The page and its CSV export show the exact sums and costs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.test import Client

from tests.standin.openai_standin import tokenize
from tests.standin.process import start_standin, stop
from tests.support.documents import make_handbook_pdf, make_security_docx
from tests.support.settings_env import settings_apply, settings_restore
from webapp.accounts.services import token_create
from webapp.chat.models import Message
from webapp.chat.services import user_model_default_set
from webapp.config.settings import reset_settings_cache
from webapp.knowledge.services import collection_create, document_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEAVE = "How many days of paid annual leave do employees get?"
BADGE = "What must happen when a security badge is lost?"
PRICES = {
    "small-llm": {"prompt_per_1k": "0.5", "completion_per_1k": "1.5"},
    "large-llm": {"gpu_hour": "36"},
}


@pytest.fixture
def priced_models(monkeypatch):
    """small-llm and large-llm stand-ins, priced, with the settings rebuilt for them."""
    small_url, small = start_standin(model="small-llm")
    large_url, large = start_standin(model="large-llm")
    env = {
        "ENCLAVE_LLM_ENDPOINTS": f"{small_url}|small-llm,{large_url}|large-llm",
        "ENCLAVE_USAGE_PRICES": json.dumps(PRICES),
        "ENCLAVE_USAGE_CURRENCY": "EUR",
    }
    settings_apply(monkeypatch, **env)
    try:
        yield
    finally:
        settings_restore(monkeypatch)
        stop(small)
        stop(large)


@pytest.fixture
def people(tmp_path, wait_indexed):
    """alice (hr) and bob (eng), each with an ask token; HR and Engineering ingested."""
    hr, eng = Group.objects.create(name="hr"), Group.objects.create(name="eng")
    admin = User.objects.create_user("root-admin", password="x", is_staff=True)
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    alice.groups.add(hr)
    bob.groups.add(eng)
    ids = []
    for name, group, path in (
        ("HR", hr, make_handbook_pdf(tmp_path / "handbook.pdf")),
        ("Engineering", eng, make_security_docx(tmp_path / "security.docx")),
    ):
        collection = collection_create(name=name, group_ids=[group.id], actor=admin)
        with transaction.atomic(), path.open("rb") as handle:
            document, _ = document_create(
                collection=collection, filename=path.name, content=handle, actor=admin
            )
        ids.append(document.id)
    assert {d.status for d in wait_indexed(ids).values()} == {"indexed"}
    clients = {}
    for user in (alice, bob):
        _id, secret = token_create(user=user, name="ask", scopes=["ask"], actor=user)
        clients[user.username] = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    web = Client()
    web.force_login(admin)
    clients["admin"] = web
    return clients


def _ask(client: Client, question: str) -> dict:
    response = client.post(
        "/api/v1/ask",
        {"question": question, "stream": False},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _cost(tokens_in: int, tokens_out: int, model_ms: float, price: dict[str, str]) -> Decimal:
    return (
        tokens_in * Decimal(price.get("prompt_per_1k", "0")) / 1000
        + tokens_out * Decimal(price.get("completion_per_1k", "0")) / 1000
        + Decimal(str(model_ms)) / 3_600_000 * Decimal(price.get("gpu_hour", "0"))
    )


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001")))


def _defaults() -> None:
    """Each person's model, as an admin sets it in the console."""
    user_model_default_set(user=User.objects.get(username="alice"), model="small-llm")
    user_model_default_set(user=User.objects.get(username="bob"), model="large-llm")


def test_costs_are_summed_per_group_collection_and_model(people, priced_models) -> None:
    _defaults()
    asked = [
        _ask(people["alice"], LEAVE),
        _ask(people["alice"], LEAVE),
        _ask(people["bob"], BADGE),
    ]
    page = people["admin"].get("/console/usage/?days=7")
    exported = people["admin"].get("/console/usage/costs.csv?days=7")

    stored = {m.id: m for m in Message.objects.filter(role="assistant")}
    assert [stored[a["message_id"]].model for a in asked] == ["small-llm"] * 2 + ["large-llm"]
    # The stand-in reported the tokens it counted; they are what was stored.
    assert [stored[a["message_id"]].tokens_out for a in asked] == [
        len(tokenize(a["answer"])) for a in asked
    ]
    small = [stored[a["message_id"]] for a in asked[:2]]
    large = stored[asked[2]["message_id"]]
    assert all(m.model_ms > 0 for m in stored.values())
    small_in, small_out = sum(m.tokens_in for m in small), sum(m.tokens_out for m in small)
    small_ms = round(sum(m.model_ms for m in small), 1)
    small_cost = _cost(small_in, small_out, small_ms, PRICES["small-llm"])
    large_cost = _cost(large.tokens_in, large.tokens_out, large.model_ms, PRICES["large-llm"])
    assert small_cost == Decimal(small_in) / 2000 + Decimal(small_out) * 3 / 2000 > 0
    total_ms = round(small_ms + large.model_ms, 1)

    def line(by: str, name: str, answers: int, t_in: int, t_out: int, ms: float, cost: Decimal):
        return [
            by,
            name,
            str(answers),
            str(t_in),
            str(t_out),
            f"{ms / 1000:.1f}",
            _money(cost),
            "EUR",
        ]

    hr = ("hr", 2, small_in, small_out, small_ms, small_cost)
    eng = ("eng", 1, large.tokens_in, large.tokens_out, large.model_ms, large_cost)
    in_total = (small_in + large.tokens_in, small_out + large.tokens_out)
    costliest_first = sorted([hr, eng], key=lambda row: -row[-1])
    expected = [
        [
            "by",
            "name",
            "answers",
            "prompt_tokens",
            "completion_tokens",
            "model_seconds",
            "cost",
            "currency",
        ],
        line("total", "", 3, *in_total, total_ms, small_cost + large_cost),
        *(line("group", *row) for row in costliest_first),
        *(
            line("collection", {"hr": "HR", "eng": "Engineering"}[row[0]], *row[1:])
            for row in costliest_first
        ),
        *(
            line("model", {"hr": "small-llm", "eng": "large-llm"}[row[0]], *row[1:])
            for row in costliest_first
        ),
    ]
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(exported.content.decode()))) == expected

    assert page.status_code == 200
    html = page.content.decode()
    table = html.split('id="costs-by-group"')[1].split("</table>")[0]
    cells = re.findall(
        r"<t[hd][^>]*>([^<]*)</t[hd]>", table.split("<tbody>")[1].split("</tbody>")[0]
    )
    assert cells == [
        str(value)
        for row in costliest_first
        for value in (
            row[0],
            row[1],
            row[2],
            row[3],
            f"{row[4] / 1000:.1f}",
            _money(row[5]),
        )
    ]
    assert "Cost (EUR)" in html and 'id="costs-unpriced"' not in html


def test_a_model_without_a_price_is_listed_and_shows_no_cost(people, priced_models, monkeypatch):
    monkeypatch.setenv("ENCLAVE_USAGE_PRICES", json.dumps({"small-llm": PRICES["small-llm"]}))
    reset_settings_cache()
    _defaults()
    _ask(people["bob"], BADGE)

    rows = list(
        csv.reader(io.StringIO(people["admin"].get("/console/usage/costs.csv").content.decode()))
    )
    html = people["admin"].get("/console/usage/").content.decode()
    pt = people["admin"].get("/console/usage/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()

    assert [(r[0], r[1], r[2], r[6]) for r in rows[1:]] == [
        ("total", "", "1", ""),
        ("group", "eng", "1", ""),
        ("collection", "Engineering", "1", ""),
        ("model", "large-llm", "1", ""),
    ]
    assert re.search(r'id="costs-unpriced">[^<]*large-llm</p>', html)
    assert "O que custam as respostas" in pt
