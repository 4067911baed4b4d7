"""The Django settings of sign-in, derived from the typed settings object.

``webapp.config.django_settings`` merges ``sso_django_settings(ENCLAVE)`` into its
namespace; tests call it with their own ``EnclaveSettings`` to switch OIDC or LDAP on.
"""

from __future__ import annotations

from typing import Any

from webapp.config.settings import EnclaveSettings

__all__ = ["LDAP_BACKEND", "MODEL_BACKEND", "OIDC_BACKEND", "sso_django_settings"]

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OIDC_BACKEND = "webapp.sso.backends.EnclaveOIDCBackend"
LDAP_BACKEND = "webapp.sso.ldap_backend.EnclaveLDAPBackend"


def _oidc(enclave: EnclaveSettings) -> dict[str, Any]:
    secret = enclave.oidc.client_secret
    return {
        "OIDC_RP_CLIENT_ID": enclave.oidc.client_id,
        "OIDC_RP_CLIENT_SECRET": secret.get_secret_value() if secret else "",
        "OIDC_OP_AUTHORIZATION_ENDPOINT": enclave.oidc.authorization_endpoint,
        "OIDC_OP_TOKEN_ENDPOINT": enclave.oidc.token_endpoint,
        "OIDC_OP_USER_ENDPOINT": enclave.oidc.userinfo_endpoint,
        "OIDC_OP_JWKS_ENDPOINT": enclave.oidc.jwks_endpoint,
        "OIDC_RP_SIGN_ALGO": enclave.oidc.sign_algo,
        "OIDC_RP_SCOPES": enclave.oidc.scopes,
        "OIDC_CREATE_USER": True,
        "OIDC_USE_NONCE": True,
        "LOGIN_REDIRECT_URL_FAILURE": "/login/?sso=failed",
    }


def _ldap(enclave: EnclaveSettings) -> dict[str, Any]:
    import ldap
    from django_auth_ldap.config import (
        ActiveDirectoryGroupType,
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        PosixGroupType,
    )

    group_types = {
        "groupofnames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
        "groupofuniquenames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
        "posixgroup": (PosixGroupType, "(objectClass=posixGroup)"),
        "activedirectory": (ActiveDirectoryGroupType, "(objectClass=group)"),
    }
    group_type, group_filter = group_types[enclave.ldap.group_type.lower()]
    password = enclave.ldap.bind_password
    values: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": enclave.ldap.server_uri,
        "AUTH_LDAP_BIND_DN": enclave.ldap.bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": password.get_secret_value() if password else "",
        "AUTH_LDAP_START_TLS": enclave.ldap.start_tls,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            enclave.ldap.user_search_base, ldap.SCOPE_SUBTREE, enclave.ldap.user_filter
        ),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_GROUP_TYPE": group_type(),
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_NETWORK_TIMEOUT: 5, ldap.OPT_TIMEOUT: 10},
    }
    if enclave.ldap.group_search_base:
        values["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            enclave.ldap.group_search_base, ldap.SCOPE_SUBTREE, group_filter
        )
    return values


def sso_django_settings(enclave: EnclaveSettings) -> dict[str, Any]:
    """AUTHENTICATION_BACKENDS, OIDC_*, AUTH_LDAP_*, cookie security and Enclave's own flags."""
    oidc = bool(enclave.oidc.client_id)
    ldap_on = bool(enclave.ldap.server_uri)
    backends = [MODEL_BACKEND]
    values: dict[str, Any] = {
        "ENCLAVE_OIDC_ENABLED": oidc,
        "ENCLAVE_LDAP_ENABLED": ldap_on,
        "ENCLAVE_OIDC_BUTTON_LABEL": enclave.oidc.button_label,
        "ENCLAVE_OIDC_USERNAME_CLAIM": enclave.oidc.username_claim,
        "ENCLAVE_OIDC_GROUPS_CLAIM": enclave.oidc.groups_claim,
        "ENCLAVE_OIDC_GROUP_MAP": dict(enclave.oidc.group_map),
        "ENCLAVE_OIDC_ADMIN_GROUPS": list(enclave.oidc.admin_groups),
        "ENCLAVE_LDAP_GROUP_MAP": dict(enclave.ldap.group_map),
        "ENCLAVE_LDAP_ADMIN_GROUPS": list(enclave.ldap.admin_groups),
        "SESSION_COOKIE_SECURE": enclave.sign_in.secure_cookies,
        "CSRF_COOKIE_SECURE": enclave.sign_in.secure_cookies,
    }
    if enclave.sign_in.secure_cookies:
        # Behind the TLS-terminating proxy of ops/nginx, which sets this header.
        values["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    if oidc:
        backends.append(OIDC_BACKEND)
        values.update(_oidc(enclave))
    if ldap_on:
        # LDAP first: a directory user's groups come from the directory.
        backends.insert(0, LDAP_BACKEND)
        values.update(_ldap(enclave))
    values["AUTHENTICATION_BACKENDS"] = backends
    return values
