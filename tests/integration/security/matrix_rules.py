"""The expected permission matrix: every route of the URL table x every kind of caller.

Callers: ``anonymous``; ``ann`` (group A), ``ben`` (group B), ``nia`` (no
group) and ``sam`` (staff), each signed in on the web and with a token of
every scope they may hold on the API; and ``scope:NAME``, one token of sam's
per scope (on the web those are anonymous: the web ignores tokens). Objects
are A's: collection "A docs", its document, ann's conversation, answer and
token (``world.py``).

Reading the table: web pages send the anonymous to the sign-in page (302),
the console is a 404 for non-staff (its existence is not advertised), the API
answers 401 without a token, 403 for a scope the token lacks, and 404 for an
object the caller may not read (never revealing that it exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PEOPLE = ("ann", "ben", "nia", "sam")
SCOPE_TOKENS = ("scope:read", "scope:ask", "scope:ingest", "scope:admin", "scope:scim")
CALLERS = ("anonymous", *PEOPLE, *SCOPE_TOKENS)
# Scopes of the people's own tokens (the admin scope is for staff only).
PERSON_SCOPES = {"ann": {"read", "ask", "ingest"}, "ben": {"read", "ask", "ingest"}}
PERSON_SCOPES |= {
    "nia": {"read", "ask", "ingest"},
    "sam": {"read", "ask", "ingest", "admin", "scim"},
}


@dataclass(frozen=True)
class Probe:
    """One request to a route and the status each caller must get."""

    method: str
    path: str  # str.format fields: collection, document, conversation, answer, token, user
    expect: dict[str, int]
    json: Any = None
    form: dict[str, Any] | None = None
    files: bool = False  # a multipart upload of one small text file as ``files``
    query: dict[str, Any] = field(default_factory=dict)
    # Answering ends with close_old_connections(), which must not meet a test's transaction.
    answers: bool = False


def everyone(status: int) -> dict[str, int]:
    """The same status for every caller."""
    return dict.fromkeys(CALLERS, status)


def web(*, ann: int, ben: int, nia: int, sam: int, anonymous: int = 302) -> dict[str, int]:
    """A web route: signed-in people as given; no session (anonymous, tokens) as ``anonymous``."""
    people = {"ann": ann, "ben": ben, "nia": nia, "sam": sam}
    return {**dict.fromkeys(("anonymous", *SCOPE_TOKENS), anonymous), **people}


def member_page(ok: int = 200) -> dict[str, int]:
    """A page for anyone signed in."""
    return web(ann=ok, ben=ok, nia=ok, sam=ok)


def console(ok: int = 200) -> dict[str, int]:
    """A console page or action: staff only, a 404 for everyone else signed in."""
    return web(ann=404, ben=404, nia=404, sam=ok)


def annes(ok: int) -> dict[str, int]:
    """A web route on ann's own conversation: a 404 for anyone else, staff included."""
    return web(ann=ok, ben=404, nia=404, sam=404)


def api(
    scope: str | None, *, ann: int, ben: int, nia: int, sam: int, scoped: int | None = None
) -> dict[str, int]:
    """An API route needing ``scope``: 401 without a token, 403 for a token without the scope.

    ``scoped``: what sam's single-scope tokens get when they carry the scope (sam's
    outcome by default; ``admin`` implies every scope).
    """
    outcome = {"ann": ann, "ben": ben, "nia": nia, "sam": sam}
    expect = {"anonymous": 401}
    for person in PEOPLE:
        allowed = (
            scope is None or scope in PERSON_SCOPES[person] or "admin" in PERSON_SCOPES[person]
        )
        expect[person] = outcome[person] if allowed else 403
    for token in SCOPE_TOKENS:
        name = token.split(":")[1]
        allowed = scope is None or name in (scope, "admin")
        expect[token] = (sam if scoped is None else scoped) if allowed else 403
    return expect


def a_object(scope: str, ok: int, *, ann: int | None = None) -> dict[str, int]:
    """An API route on an object of group A: ann and staff reach it, ben and nia get 404."""
    return api(scope, ann=ok if ann is None else ann, ben=404, nia=404, sam=ok)


def annes_api(scope: str, ok: int) -> dict[str, int]:
    """An API route on ann's own conversation or answer: a 404 for anyone else."""
    return api(scope, ann=ok, ben=404, nia=404, sam=404)


ASK = {"question": "Which figure?", "stream": False}
TEXT_DOCUMENT = {"filename": "matrix.md", "text": "# Matrix\n\nA short note."}
COMPLETION = {"model": "enclave", "messages": [{"role": "user", "content": "Which figure?"}]}

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_DEACTIVATE = {
    "schemas": [SCIM_PATCH],
    "Operations": [{"op": "replace", "path": "active", "value": False}],
}
SCIM_RENAME = {
    "schemas": [SCIM_PATCH],
    "Operations": [{"op": "replace", "path": "displayName", "value": "A2"}],
}


def scim(ok: int) -> dict[str, int]:
    """A SCIM route: ``ok`` for tokens with the scim scope (or admin), 403 for other tokens."""
    return api("scim", ann=403, ben=403, nia=403, sam=ok)


P = Probe
RULES: dict[str, list[Probe]] = {
    # --- web: sign-in, chat, conversations -----------------------------------------
    "login/": [P("get", "/login/", web(ann=302, ben=302, nia=302, sam=302, anonymous=200))],
    "oidc/authenticate/": [P("get", "/oidc/authenticate/", everyone(404))],  # OIDC is off
    "oidc/callback/": [P("get", "/oidc/callback/", everyone(404))],
    "logout/": [P("post", "/logout/", everyone(302)), P("get", "/logout/", everyone(405))],
    "": [P("get", "/", member_page())],
    # --- web: the signed-in user's own account --------------------------------------
    "account/": [P("get", "/account/", member_page())],
    "account/password": [
        P("get", "/account/password", member_page()),
        # A wrong current password: the form again (400), nothing changed.
        P(
            "post",
            "/account/password",
            member_page(400),
            form={
                "current_password": "not-the-password",
                "new_password": "a-long-pass-phrase-9",
                "new_password_again": "a-long-pass-phrase-9",
            },
        ),
    ],
    "account/tokens/create": [
        P(
            "post",
            "/account/tokens/create",
            member_page(),  # the page again, showing the new secret once
            form={"name": "mine", "scopes": ["read"]},
        )
    ],
    # ann's token: only ann revokes it here (the console's page is the admins' way).
    "account/tokens/<int:token_id>/revoke": [
        P("post", "/account/tokens/{token}/revoke", annes(302))
    ],
    "c/<int:conversation_id>/": [P("get", "/c/{conversation}/", annes(200))],
    "chat/ask": [
        P(
            "post",
            "/chat/ask",
            web(ann=200, ben=404, nia=404, sam=404, anonymous=401),
            json={"question": "Which figure?", "conversation_id": "{conversation}"},
        ),
        # Regenerate / edit: replacing the last answer of someone else's conversation is 404.
        P(
            "post",
            "/chat/ask",
            web(ann=200, ben=404, nia=404, sam=404, anonymous=401),
            json={
                "question": "Which figure?",
                "conversation_id": "{conversation}",
                "replace": "{answer}",
            },
        ),
    ],
    "chat/model": [P("post", "/chat/model", member_page(), json={"model": ""})],
    # Search lists only the caller's own conversations: a 200 for anyone signed in.
    "chat/search": [P("get", "/chat/search", member_page(), query={"q": "figure"})],
    "c/<int:conversation_id>/export.md": [P("get", "/c/{conversation}/export.md", annes(200))],
    "c/<int:conversation_id>/export.pdf": [P("get", "/c/{conversation}/export.pdf", annes(200))],
    "c/<int:conversation_id>/rename": [
        P("post", "/c/{conversation}/rename", annes(302), form={"title": "Renamed"})
    ],
    "c/<int:conversation_id>/delete": [P("post", "/c/{conversation}/delete", annes(302))],
    "chat/answers/<int:message_id>/feedback": [
        P("post", "/chat/answers/{answer}/feedback", annes(200), json={"helpful": True})
    ],
    "i18n/setlang/": [P("post", "/i18n/setlang/", everyone(302), form={"language": "pt"})],
    "documents/<int:document_id>/download": [
        P("get", "/documents/{document}/download", web(ann=200, ben=404, nia=404, sam=200))
    ],
    "healthz": [P("get", "/healthz", everyone(200))],
    # Off unless ENCLAVE_METRICS_TOKEN or _ALLOWED_NETWORKS is set (the matrix runs without).
    "metrics": [P("get", "/metrics", everyone(404))],
    # Django's admin (users and groups): staff only, by Django's own rule.
    "django-admin/": [P("get", "/django-admin/", web(ann=302, ben=302, nia=302, sam=200))],
    # --- web: the admin console ---------------------------------------------------
    "console/": [
        P("get", "/console/", console()),
        P("post", "/console/", console(302), form={"name": "Matrix", "description": ""}),
    ],
    "console/reindex": [P("post", "/console/reindex", console(302))],
    "console/search-index/status": [P("get", "/console/search-index/status", console())],
    "console/collections/<int:collection_id>/": [
        P("get", "/console/collections/{collection}/", console())
    ],
    "console/collections/<int:collection_id>/groups": [
        P("post", "/console/collections/{collection}/groups", console(302), form={"groups": []})
    ],
    "console/collections/<int:collection_id>/model": [
        P("post", "/console/collections/{collection}/model", console(302), form={"model": ""})
    ],
    "console/collections/<int:collection_id>/reindex": [
        P("post", "/console/collections/{collection}/reindex", console(302))
    ],
    "console/collections/<int:collection_id>/upload": [
        P("post", "/console/collections/{collection}/upload", console(302), files=True)
    ],
    "console/collections/<int:collection_id>/rename": [
        P("post", "/console/collections/{collection}/rename", console(302), form={"name": "New"})
    ],
    "console/collections/<int:collection_id>/delete": [
        P("get", "/console/collections/{collection}/delete", console()),
        P("post", "/console/collections/{collection}/delete", console(302)),
    ],
    "console/documents/<int:document_id>/rename": [
        P("post", "/console/documents/{document}/rename", console(302), form={"title": "New"})
    ],
    "console/documents/status": [
        P("get", "/console/documents/status", console(), query={"ids": "{document}"})
    ],
    "console/documents/<int:document_id>/retry": [
        P("post", "/console/documents/{document}/retry", console(302))
    ],
    "console/documents/<int:document_id>/delete": [
        P("post", "/console/documents/{document}/delete", console(302))
    ],
    "console/documents/<int:document_id>/groups": [
        P("post", "/console/documents/{document}/groups", console(302), form={"groups": []})
    ],
    "console/users/": [P("get", "/console/users/", console())],
    "console/users/new": [
        P(
            "post",
            "/console/users/new",
            console(302),
            form={"username": "zed", "password": "a-long-pass-phrase-9", "groups": []},
        )
    ],
    "console/users/<int:user_id>/": [
        P("get", "/console/users/{user}/", console()),
        P("post", "/console/users/{user}/", console(302), form={"groups": []}),
    ],
    "console/users/<int:user_id>/active": [
        P("post", "/console/users/{user}/active", console(302), form={"active": "1"})
    ],
    "console/users/<int:user_id>/password": [
        P(
            "post",
            "/console/users/{user}/password",
            console(302),
            form={"password": "a-long-pass-phrase-9", "must_change": "on"},
        )
    ],
    "console/users/<int:user_id>/delete": [
        P("get", "/console/users/{user}/delete", console()),
        P("post", "/console/users/{user}/delete", console(302)),
    ],
    "console/groups/new": [P("post", "/console/groups/new", console(302), form={"name": "C"})],
    "console/tokens/": [P("get", "/console/tokens/", console())],
    "console/tokens/create": [
        P(
            "post",
            "/console/tokens/create",
            console(200),  # the page again, showing the new secret once
            form={"name": "matrix", "user": "{user}", "scopes": ["read"]},
        )
    ],
    "console/tokens/<int:token_id>/revoke": [
        P("post", "/console/tokens/{token}/revoke", console(302))
    ],
    "console/usage/": [P("get", "/console/usage/", console())],
    "console/usage/costs.csv": [P("get", "/console/usage/costs.csv", console())],
    "console/audit/": [P("get", "/console/audit/", console())],
    "console/feedback/": [P("get", "/console/feedback/", console())],
    "console/audit.csv": [P("get", "/console/audit.csv", console())],
    "console/evaluation/": [
        P("get", "/console/evaluation/", console()),
        P("post", "/console/evaluation/", console(400), form={"name": "matrix"}),  # no file
    ],
    "console/evaluation/<int:eval_set_id>/": [
        P("get", "/console/evaluation/{eval_set}/", console())
    ],
    "console/evaluation/<int:eval_set_id>/run": [
        P("post", "/console/evaluation/{eval_set}/run", console(302), form={"kind": "retrieval"})
    ],
    "console/evaluation/runs/status": [
        P("get", "/console/evaluation/runs/status", console(), query={"ids": "1"})
    ],
    "console/evaluation/index-check/confirm": [
        P("post", "/console/evaluation/index-check/confirm", console(302))
    ],
    # --- REST API -----------------------------------------------------------------
    "api/v1/collections": [
        P("get", "/api/v1/collections", api("read", ann=200, ben=200, nia=200, sam=200)),
        P(
            "post",
            "/api/v1/collections",
            api("admin", ann=403, ben=403, nia=403, sam=201),
            json={"name": "Matrix", "groups": ["A"]},
        ),
    ],
    "api/v1/collections/<int:collection_id>": [
        P("get", "/api/v1/collections/{collection}", a_object("read", 200)),
        # ann reads A but is no admin: the service refuses (403); others do not see A.
        P(
            "patch",
            "/api/v1/collections/{collection}",
            a_object("admin", 200, ann=403),
            json={"name": "Renamed"},
        ),
        P("delete", "/api/v1/collections/{collection}", a_object("admin", 200, ann=403)),
    ],
    "api/v1/collections/<int:collection_id>/groups": [
        P(
            "put",
            "/api/v1/collections/{collection}/groups",
            api("admin", ann=403, ben=403, nia=403, sam=200),
            json={"groups": ["A", "B"]},
        )
    ],
    "api/v1/collections/<int:collection_id>/documents": [
        # ann reads A but is no admin: the service refuses (403); others do not see A.
        P(
            "post",
            "/api/v1/collections/{collection}/documents",
            a_object("ingest", 201, ann=403),
            json=TEXT_DOCUMENT,
        )
    ],
    "api/v1/documents": [
        P("get", "/api/v1/documents", api("read", ann=200, ben=200, nia=200, sam=200))
    ],
    "api/v1/documents/<int:document_id>": [
        P("get", "/api/v1/documents/{document}", a_object("read", 200)),
        P("delete", "/api/v1/documents/{document}", a_object("ingest", 204, ann=403)),
    ],
    "api/v1/documents/<int:document_id>/reindex": [
        P("post", "/api/v1/documents/{document}/reindex", a_object("ingest", 202, ann=403))
    ],
    "api/v1/search": [
        P(
            "post",
            "/api/v1/search",
            api("read", ann=200, ben=200, nia=200, sam=200),
            json={"query": "figure"},
        )
    ],
    "api/v1/ask": [
        P(
            "post",
            "/api/v1/ask",
            api("ask", ann=200, ben=200, nia=200, sam=200),
            json=ASK,
            answers=True,
        )
    ],
    "api/v1/conversations": [
        P("get", "/api/v1/conversations", api("ask", ann=200, ben=200, nia=200, sam=200))
    ],
    "api/v1/conversations/<int:conversation_id>": [
        P("get", "/api/v1/conversations/{conversation}", annes_api("ask", 200)),
        P(
            "post",
            "/api/v1/conversations/{conversation}",
            annes_api("ask", 200),
            json=ASK,
            answers=True,
        ),
        P(
            "post",
            "/api/v1/conversations/{conversation}",
            annes_api("ask", 200),
            json={**ASK, "replace": "{answer}"},
            answers=True,
        ),
    ],
    "api/v1/messages/<int:message_id>/feedback": [
        P(
            "put",
            "/api/v1/messages/{answer}/feedback",
            annes_api("ask", 200),
            json={"helpful": True},
        )
    ],
    "api/v1/tokens": [
        P("get", "/api/v1/tokens", api(None, ann=200, ben=200, nia=200, sam=200)),
        # A token mints only scopes it has itself: ask and ingest tokens lack read.
        P(
            "post",
            "/api/v1/tokens",
            {
                **api(None, ann=201, ben=201, nia=201, sam=201),
                "scope:ask": 403,
                "scope:ingest": 403,
                "scope:scim": 403,
            },
            json={"name": "minted", "scopes": ["read"]},
        ),
    ],
    "api/v1/tokens/<int:token_id>": [
        # ann's token: ann and admin-scoped staff tokens revoke it; sam's narrower ones may not.
        P(
            "delete",
            "/api/v1/tokens/{token}",
            {
                **api(None, ann=204, ben=404, nia=404, sam=204),
                "scope:read": 403,
                "scope:ask": 403,
                "scope:ingest": 403,
                "scope:scim": 403,
            },
        )
    ],
    "api/v1/schema": [P("get", "/api/v1/schema", everyone(200))],
    "api/v1/docs": [P("get", "/api/v1/docs", everyone(200))],
    "api/v1/redoc": [P("get", "/api/v1/redoc", everyone(200))],
    # --- OpenAI-compatible ------------------------------------------------------------
    "v1/models": [P("get", "/v1/models", api("ask", ann=200, ben=200, nia=200, sam=200))],
    "v1/models/<path:model>": [
        P("get", "/v1/models/enclave:A docs", api("ask", ann=200, ben=404, nia=404, sam=200))
    ],
    "v1/chat/completions": [
        P(
            "post",
            "/v1/chat/completions",
            api("ask", ann=200, ben=200, nia=200, sam=200),
            json=COMPLETION,
            answers=True,
        )
    ],
    # Anything else under the API's prefixes: a JSON 404 for everyone.
    "^(?:api/v1|v1)(?:/(?s:.*))?$": [P("get", "/api/v1/no-such-endpoint", everyone(404))],
    # --- SCIM provisioning (a token with the scim scope; admin implies it) -------------
    "scim/v2/ServiceProviderConfig": [
        # Public by RFC 7644 §4: the capabilities name no one.
        P("get", "/scim/v2/ServiceProviderConfig", everyone(200))
    ],
    "scim/v2/ResourceTypes": [P("get", "/scim/v2/ResourceTypes", scim(200))],
    "scim/v2/ResourceTypes/<str:name>": [P("get", "/scim/v2/ResourceTypes/User", scim(200))],
    "scim/v2/Schemas": [P("get", "/scim/v2/Schemas", scim(200))],
    "scim/v2/Schemas/<str:schema>": [
        P("get", f"/scim/v2/Schemas/{SCIM_USER}", scim(200)),
    ],
    "scim/v2/Users": [
        P("get", "/scim/v2/Users", scim(200)),
        P("post", "/scim/v2/Users", scim(201), json={"schemas": [SCIM_USER], "userName": "zoe"}),
    ],
    "scim/v2/Users/<str:resource_id>": [
        P("get", "/scim/v2/Users/{user}", scim(200)),
        P("patch", "/scim/v2/Users/{user}", scim(204), json=SCIM_DEACTIVATE),
        P("delete", "/scim/v2/Users/{user}", scim(204)),
        # Staff accounts are read-only through SCIM.
        P("delete", "/scim/v2/Users/{staff}", scim(403)),
    ],
    "scim/v2/Groups": [
        P("get", "/scim/v2/Groups", scim(200)),
        P("post", "/scim/v2/Groups", scim(201), json={"schemas": [SCIM_GROUP], "displayName": "C"}),
    ],
    "scim/v2/Groups/<str:resource_id>": [
        P("get", "/scim/v2/Groups/{group}", scim(200)),
        P("patch", "/scim/v2/Groups/{group}", scim(204), json=SCIM_RENAME),
        P("delete", "/scim/v2/Groups/{group}", scim(204)),
    ],
    # /Me, /Bulk and unknown paths: scim2-server's answers (501 not implemented, 404).
    "^scim/v2(?:/[\\s\\S]*)?$": [
        P("get", "/scim/v2/Me", scim(501)),
        P("get", "/scim/v2/Nothing", scim(404)),
    ],
}
