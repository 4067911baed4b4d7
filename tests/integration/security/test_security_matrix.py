"""The permission matrix, generated from the URL table: every route x every kind of caller.

``matrix_rules.RULES`` holds the expected status of each probe for each caller;
a route in the URL table without an entry there (or an entry for a route that
no longer exists) fails ``test_every_route_has_rules``. Each probe runs once per
caller against a fresh organisation (``world.py``), rolled back afterwards.
Every HTML page that comes back is also checked for inline script, and every
response for the Content-Security-Policy header.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.integration.security.matrix_rules import CALLERS, RULES, SCOPE_TOKENS, Probe
from tests.integration.security.world import World, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]


def url_table() -> list[str]:
    """Every route of the site, as written in its URL table (Django's admin as one route)."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver) and entry.namespace != "admin":
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLResolver | URLPattern):
                yield route

    return sorted(walk(get_resolver().url_patterns, ""))


def test_every_route_has_rules():
    routes = url_table()

    assert sorted(set(routes) - set(RULES)) == [], "routes without permission rules"
    assert sorted(set(RULES) - set(routes)) == [], "rules for routes that do not exist"
    assert all(set(p.expect) == set(CALLERS) for probes in RULES.values() for p in probes)


class _InlineCode(HTMLParser):
    """Inline scripts, event-handler attributes and javascript: URLs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.found += [f"{tag} {name}=" for name, _ in attrs if name.startswith("on")]
        self.found += [
            f"{tag} {name}=javascript:"
            for name, value in attrs
            if (value or "").strip().lower().startswith("javascript:")
        ]
        self._script = tag == "script" and not values.get("src")
        if values.get("type") == "application/json":
            self._script = False  # data for scripts, never run

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        self._script = False if tag == "script" else self._script


def _client(world: World, caller: str, path: str) -> Client:
    api = path.startswith(("/api/", "/v1/", "/scim/"))
    if caller == "anonymous":
        return Client()
    if caller in SCOPE_TOKENS or api:
        return world.api(caller)  # on the web a token is no session: anonymous
    return world.session(caller)


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _request(world: World, caller: str, probe: Probe) -> Any:
    ids = {
        "collection": world.collections["A"].id,
        "document": world.documents["A"].id,
        "conversation": world.conversation.id,
        "answer": world.answer.id,
        "token": world.token_rows["ann"].id,
        "user": world.users["ann"].id,
        "staff": world.users["sam"].id,
        "group": world.groups["A"].id,
        "eval_set": world.eval_set_id,
    }
    path = _fill(probe.path, ids)
    client = _client(world, caller, path)
    send = getattr(client, probe.method)
    if probe.json is not None:
        return send(path, data=_fill(probe.json, ids), content_type="application/json")
    if probe.files:
        upload = SimpleUploadedFile("note.txt", b"A note.", content_type="text/plain")
        return send(path, data={"files": [upload]})
    if probe.method == "get":
        return send(path, data=_fill(probe.query, ids))
    return send(path, data=_fill(probe.form or {}, ids))


def _inline_code(response: Any) -> list[str]:
    if response.streaming or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = _InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def _probes(*, answers: bool) -> list[Any]:
    return [
        pytest.param(route, probe, id=f"{probe.method.upper()} {route or '/'}")
        for route, probes in sorted(RULES.items())
        for probe in probes
        if probe.answers == answers
    ]


def _check(statuses: dict[str, int], inline: dict[str, list[str]], bare: list[str], probe: Probe):
    assert statuses == probe.expect
    assert inline == {}
    assert bare == []


def _record(response: Any, caller: str, statuses: dict, inline: dict, bare: list) -> None:
    statuses[caller] = response.status_code
    if code := _inline_code(response):
        inline[caller] = code
    if "Content-Security-Policy" not in response:
        bare.append(caller)


@pytest.mark.parametrize(("route", "probe"), _probes(answers=False))
def test_the_matrix(route: str, probe: Probe, tmp_path):
    statuses: dict[str, int] = {}
    inline: dict[str, list[str]] = {}
    bare: list[str] = []
    for caller in CALLERS:
        folder = tmp_path / caller.replace(":", "-")
        folder.mkdir()
        with transaction.atomic():
            world = build_world(folder)
            _record(_request(world, caller, probe), caller, statuses, inline, bare)
            transaction.set_rollback(True)
    _check(statuses, inline, bare, probe)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("route", "probe"), _probes(answers=True))
def test_the_matrix_of_answering_routes(route: str, probe: Probe, tmp_path):
    statuses: dict[str, int] = {}
    inline: dict[str, list[str]] = {}
    bare: list[str] = []
    for caller in CALLERS:
        folder = tmp_path / caller.replace(":", "-")
        folder.mkdir()
        world = build_world(folder)
        _record(_request(world, caller, probe), caller, statuses, inline, bare)
        call_command("flush", interactive=False, verbosity=0)
    _check(statuses, inline, bare, probe)
