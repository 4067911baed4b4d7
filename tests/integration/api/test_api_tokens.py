"""Tokens: scopes gate what a token may do, revocation and expiry bite at once, rate limits."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _client(api_site, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=api_site.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    )


def test_a_read_token_cannot_ingest_and_nothing_is_stored(api_site):
    with api_site.client("alice_read") as reader, api_site.client("root") as root:
        before = root.get("/api/v1/documents").json()["count"]
        upload = reader.post(
            f"/api/v1/collections/{api_site.hr_collection_id}/documents",
            json={"filename": "sneaky.md", "text": "Everyone gets a bonus."},
        )
        assert (upload.status_code, upload.json()["code"]) == (403, "insufficient_scope")
        assert reader.delete(f"/api/v1/documents/{api_site.handbook_id}").status_code == 403
        assert reader.post(f"/api/v1/documents/{api_site.handbook_id}/reindex").status_code == 403
        ask = reader.post("/api/v1/ask", json={"question": "leave?"})
        assert (ask.status_code, ask.json()["code"]) == (403, "insufficient_scope")
        assert root.get("/api/v1/documents").json()["count"] == before
        handbook = root.get(f"/api/v1/documents/{api_site.handbook_id}").json()
        assert handbook["status"] == "indexed"
        # A token cannot mint a wider one.
        wider = reader.post("/api/v1/tokens", json={"name": "x", "scopes": ["read", "ingest"]})
        assert (wider.status_code, wider.json()["code"]) == (403, "insufficient_scope")


def test_an_ingest_token_of_a_non_admin_cannot_change_anything(api_site):
    with api_site.client("bob") as bob, api_site.client("root") as root:
        before = root.get("/api/v1/documents").json()["count"]
        created = bob.post("/api/v1/collections", json={"name": "Bob's"})
        assert (created.status_code, created.json()["code"]) == (403, "insufficient_scope")
        hidden = bob.post(
            f"/api/v1/collections/{api_site.hr_collection_id}/documents",
            json={"filename": "b.md", "text": "hello"},
        )
        assert hidden.status_code == 404  # HR is not bob's to see
        assert root.get("/api/v1/documents").json()["count"] == before
        names = [c["name"] for c in root.get("/api/v1/collections").json()]
        assert "Bob's" not in names


def test_a_revoked_token_fails_on_its_very_next_request(api_site):
    token_id, secret = api_site.new_token(user="alice", scopes=["read"])
    with _client(api_site, secret) as client:
        assert client.get("/api/v1/collections").status_code == 200
        assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
        response = client.get("/api/v1/collections")
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_tokens_list_their_use_but_never_their_secret(api_site):
    token_id, secret = api_site.new_token(user="alice", scopes=["read"])
    with _client(api_site, secret) as client:
        client.get("/api/v1/collections")
        mine = {t["id"]: t for t in client.get("/api/v1/tokens").json()}
    assert mine[token_id]["last_used_at"] is not None
    assert mine[token_id]["scopes"] == ["read"]
    assert mine[token_id]["user"] == "alice"
    assert secret not in str(mine) and secret.startswith(mine[token_id]["prefix"])
    assert all(t["user"] == "alice" for t in mine.values())
    with api_site.client("bob") as bob:
        assert bob.delete(f"/api/v1/tokens/{token_id}").status_code == 404


def test_an_expiry_in_the_past_is_refused(api_site):
    with api_site.client("root") as root:
        response = root.post(
            "/api/v1/tokens",
            json={"name": "old", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"},
        )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(api_site):
    _, secret = api_site.new_token(user="alice", scopes=["read"], rate_limit_per_minute=3)
    with _client(api_site, secret) as client:
        statuses = [client.get("/api/v1/collections").status_code for _ in range(4)]
        limited = client.get("/api/v1/collections")
    assert statuses == [200, 200, 200, 429]
    assert limited.json()["code"] == "throttled"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another token of the same user is not affected.
    with api_site.client("alice_read") as other:
        assert other.get("/api/v1/collections").status_code == 200


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer enc_nope", "Bearer a b", "Basic YWxpY2U6eA==", "Bearer \u00e9"]
)
def test_missing_or_malformed_credentials_get_401(api_site, header):
    headers = {"Authorization": header.encode("utf-8")} if header else {}
    response = httpx.get(f"{api_site.url}/api/v1/collections", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json()["code"] in ("not_authenticated", "invalid_token")
