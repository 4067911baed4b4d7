"""What the SCIM endpoint serves (its provider) and Django's users and groups as SCIM resources."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.auth.models import Group as DjangoGroup
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    GroupMembership,
    Meta,
    Patch,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)

from webapp.scim.models import ScimGroup, ScimUser
from webapp.scim.schema import Email, Group, GroupMember, Name, User
from webapp.scim.services import UserFields

__all__ = [
    "MAX_RESULTS",
    "group_resource",
    "member_ids_of",
    "provider",
    "user_fields_of",
    "user_resource",
]

MAX_RESULTS = 200  # per page of a list; an identity provider pages through the rest

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    # Users provisioned by SCIM sign in through single sign-on: no password here.
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Enclave API token",
            description="An Enclave API token with the scim scope, sent as 'Bearer enc_...'.",
            primary=True,
        )
    ],
)


def provider() -> ScimProvider:
    """Users and Groups of the core schemas, with the capabilities above."""
    return ScimProvider(
        models=[User, Group],
        config=CONFIG,
        # Identity providers send more than Enclave keeps (a password, phone numbers):
        # dropped, not refused, so provisioning does not stop at the first extra attribute.
        policy=ScimPolicy(unknown=ScimPolicy.Unknown.ignore),
    )


def _version(resource: Any) -> str:
    # A digest of the whole resource changes whenever any attribute does.
    body = json.dumps(resource.model_dump(exclude={"meta"}), sort_keys=True, default=str)
    return 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'


def user_resource(user: Any) -> User:
    """A Django user as a SCIM User (its groups read-only, as RFC 7643 has them)."""
    link = user_link(user)
    name = None
    if user.first_name or user.last_name:
        name = Name(given_name=user.first_name or None, family_name=user.last_name or None)
    resource = User(
        id=str(user.pk),
        external_id=(link.external_id if link else "") or None,
        user_name=user.username,
        name=name,
        display_name=(link.display_name if link else "") or None,
        # None once the provider removed the attribute (the account stays as it was).
        active=None if link and not link.active_stated and user.is_active else user.is_active,
        emails=[
            Email(
                value=user.email,
                type=(link.email_type if link else "") or None,
                primary=link.email_primary if link else None,
            )
        ]
        if user.email
        else None,
        groups=[
            GroupMembership(value=str(g.pk), ref=f"Groups/{g.pk}", display=g.name)
            for g in sorted(user.groups.all(), key=lambda g: g.pk)
        ]
        or None,
    )
    modified = link.updated_at if link else user.date_joined
    resource.meta = Meta(
        resource_type="User",
        created=user.date_joined,
        last_modified=max(modified, user.date_joined),
        version=_version(resource),
    )
    return resource


def group_resource(group: DjangoGroup) -> Group:
    """A Django group as a SCIM Group with its members (users only: groups do not nest)."""
    try:
        link: ScimGroup | None = group.scim
    except ScimGroup.DoesNotExist:
        link = None
    resource = Group(
        id=str(group.pk),
        external_id=(link.external_id if link else "") or None,
        display_name=group.name,
        members=[
            GroupMember(value=str(u.pk), ref=f"Users/{u.pk}")
            for u in sorted(group.user_set.all(), key=lambda u: u.pk)
        ]
        or None,
    )
    resource.meta = Meta(
        resource_type="Group",
        created=link.created_at if link else None,
        last_modified=link.updated_at if link else None,
        version=_version(resource),
    )
    return resource


def _primary_email(resource: User) -> Email:
    emails = resource.emails or []
    return next((e for e in emails if e.primary), emails[0] if emails else Email())


def user_fields_of(resource: User) -> UserFields:
    """The attributes Enclave keeps of a SCIM User (the password is ignored: sign-in is SSO)."""
    name = resource.name or Name()
    email = _primary_email(resource)
    return UserFields(
        username=resource.user_name or "",
        email=str(email.value or ""),
        email_type=email.type or "",
        email_primary=email.primary,
        first_name=name.given_name or "",
        last_name=name.family_name or "",
        display_name=resource.display_name or "",
        external_id=resource.external_id or "",
        active=resource.active,
    )


def member_ids_of(resource: Group) -> list[int]:
    """The user ids of a SCIM Group's members; ValueError for a member that is not a user id."""
    ids = []
    for member in resource.members or []:
        if not (member.value or "").isdigit():
            raise ValueError(f"Members must be users: {member.value!r} is not a user's id.")
        ids.append(int(member.value or 0))
    return ids


def user_link(user: Any) -> ScimUser | None:
    """The user's SCIM row, if SCIM ever wrote the user."""
    try:
        return user.scim
    except ScimUser.DoesNotExist:
        return None
