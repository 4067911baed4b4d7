"""A small but real OpenID Connect provider (Authlib + Flask) for the sign-in tests.

Run: ``python tests/integration/sso/oidc_provider.py --port 0 --client-id ID
--client-secret SECRET --redirect-uri URI``; the first line on stdout is
``LISTENING <port>``. It speaks the authorization code flow: ``/authorize``
(a login form; POST username/password), ``/token`` (client_secret_post or basic),
``/userinfo`` (Bearer) and ``/jwks`` (the RS256 signing key), plus discovery.

Users (password ``secret-<name>``): olivia (groups hr-staff, everyone), paul
(it-admins), and nina (no groups).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

KID = "enclave-test-key"
USERS = {
    "olivia": {
        "email": "olivia@example.com",
        "given_name": "Olivia",
        "groups": ["hr-staff", "everyone"],
    },
    "paul": {"email": "paul@example.com", "given_name": "Paul", "groups": ["it-admins"]},
    "nina": {"email": "nina@example.com", "given_name": "Nina", "groups": []},
}
LOGIN_FORM = """<!doctype html><title>Test IdP</title><form method="post">
<input name="username"><input name="password" type="password"><button>Sign in</button></form>"""


class User:
    def __init__(self, name: str) -> None:
        self.name = name
        self.claims = USERS[name]

    def get_user_id(self) -> str:
        return self.name


class Client:
    """The one registered relying party (Enclave)."""

    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.client_id, self.secret, self.redirect_uri = client_id, secret, redirect_uri

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Code:
    def __init__(self, code: str, user: str, data: dict[str, Any]) -> None:
        self.code, self.user, self.data = code, user, data

    def get_redirect_uri(self) -> str:
        return self.data["redirect_uri"]

    def get_scope(self) -> str:
        return self.data["scope"]

    def get_nonce(self) -> str | None:
        return self.data.get("nonce")

    def get_auth_time(self) -> int:
        return self.data["auth_time"]

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


def build_app(issuer: str, client: Client) -> Flask:
    app = Flask(__name__)
    key = RSAKey.generate_key(2048, parameters={"kid": KID})
    codes: dict[str, Code] = {}
    tokens: dict[str, str] = {}

    def user_info(name: str, scope: str) -> dict[str, Any]:
        claims = USERS[name]
        info = {"sub": name, "preferred_username": name, "groups": claims["groups"]}
        if "email" in scope:
            info["email"] = claims["email"]
        if "profile" in scope:
            info["given_name"] = claims["given_name"]
        return info

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post", "client_secret_basic"]

        def save_authorization_code(self, code: str, req: Any) -> Code:
            data = {
                "redirect_uri": req.payload.redirect_uri,
                "scope": req.payload.scope,
                "nonce": req.payload.data.get("nonce"),
                "auth_time": int(time.time()),
            }
            codes[code] = Code(code, req.user.name, data)
            return codes[code]

        def query_authorization_code(self, code: str, client_: Any) -> Code | None:
            return codes.get(code)

        def delete_authorization_code(self, authorization_code: Code) -> None:
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> User:
            return User(authorization_code.user)

    class OpenID(OpenIDCode):
        def resolve_client_private_key(self, client_: Any) -> RSAKey:
            return key

        def get_client_claims(self, client_: Any) -> dict[str, Any]:
            return {"iss": issuer, "aud": [client.client_id]}

        def get_encode_header(self, client_: Any) -> dict[str, str]:
            return {"alg": "RS256", "kid": KID}

        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.get_nonce() == nonce for c in codes.values())

        def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
            return user_info(user.name, scope)

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = req.user.name

    server = AuthorizationServer(
        app,
        query_client=lambda cid: client if cid == client.client_id else None,
        save_token=save_token,
    )
    server.register_grant(CodeGrant, [OpenID(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            userinfo_endpoint=f"{issuer}/userinfo",
            jwks_uri=f"{issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
        )

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.method == "GET":
            return LOGIN_FORM
        name = request.form.get("username", "")
        if name not in USERS or request.form.get("password") != f"secret-{name}":
            return server.create_authorization_response(grant_user=None)
        return server.create_authorization_response(grant_user=User(name))

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.get("/userinfo")
    def userinfo() -> Any:
        header = request.headers.get("Authorization", "")
        name = tokens.get(header.removeprefix("Bearer ").strip())
        if name is None:
            return jsonify(error="invalid_token"), 401
        return jsonify(user_info(name, "openid email profile"))

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(keys=[{**key.as_dict(private=False), "alg": "RS256", "use": "sig"}])

    @app.get("/health")
    def health() -> Any:
        return "ok"

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args()
    # Plain HTTP on 127.0.0.1 only: Authlib otherwise insists on HTTPS.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    client = Client(args.client_id, args.client_secret, args.redirect_uri)
    # Bind first, then build the app with the real port in the issuer URL.
    holder: dict[str, Flask] = {}
    server = make_server(
        "127.0.0.1", args.port, lambda env, start: holder["app"](env, start), threaded=True
    )
    holder["app"] = build_app(f"http://127.0.0.1:{server.server_port}", client)
    print(f"LISTENING {server.server_port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
