"""OpenID Connect sign-in (mozilla-django-oidc); LDAP lives in ``ldap_backend`` (optional extra).

Both map the identity provider's groups onto Enclave groups at every sign-in
(``webapp.sso.groups``), so removing someone from a group at the IdP removes
their access at their next sign-in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from webapp.sso.groups import sso_sync_user

__all__ = ["EnclaveOIDCBackend"]


class EnclaveOIDCBackend(OIDCAuthenticationBackend):
    """Users are matched by the username claim (``preferred_username`` by default)."""

    def _username_claim(self) -> str:
        return settings.ENCLAVE_OIDC_USERNAME_CLAIM

    def get_username(self, claims: dict[str, Any]) -> str:
        """The Enclave username: the configured claim, as the IdP spells it."""
        return str(claims.get(self._username_claim(), "")).strip()[:150]

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """A sign-in needs a username claim."""
        return bool(self.get_username(claims))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        """The existing user of that name, if any."""
        username = self.get_username(claims)
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username__iexact=username)

    def create_user(self, claims: dict[str, Any]) -> Any:
        """A new user from the claims, with mapped groups."""
        user = self.UserModel.objects.create_user(
            username=self.get_username(claims), email=claims.get("email", "")
        )
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        """Bring name, email and groups up to date at each sign-in."""
        user.email = claims.get("email", user.email) or ""
        user.first_name = (claims.get("given_name") or user.first_name)[:150]
        user.last_name = (claims.get("family_name") or user.last_name)[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
        groups = claims.get(settings.ENCLAVE_OIDC_GROUPS_CLAIM) or []
        sso_sync_user(
            user=user,
            external_groups=groups if isinstance(groups, list) else [groups],
            group_map=settings.ENCLAVE_OIDC_GROUP_MAP,
            admin_groups=settings.ENCLAVE_OIDC_ADMIN_GROUPS,
            source="oidc",
        )
        return user
