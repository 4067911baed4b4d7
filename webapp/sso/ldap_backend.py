"""LDAP / Active Directory sign-in (django-auth-ldap, the optional ``ldap`` extra).

Loaded only when ``ENCLAVE_LDAP_SERVER_URI`` is set: python-ldap compiles
against libldap, so sites without LDAP need not install it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_auth_ldap.backend import LDAPBackend

from webapp.sso.groups import sso_sync_user

__all__ = ["EnclaveLDAPBackend"]


class EnclaveLDAPBackend(LDAPBackend):
    """django-auth-ldap, with the LDAP groups mapped onto Enclave groups."""

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        """Bind as the user, then sync their groups."""
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            sso_sync_user(
                user=user,
                external_groups=ldap_user.group_names,
                group_map=settings.ENCLAVE_LDAP_GROUP_MAP,
                admin_groups=settings.ENCLAVE_LDAP_ADMIN_GROUPS,
                source="ldap",
            )
        return user
