"""The User schema Enclave serves: the core User's attributes that Enclave keeps, no others.

RFC 7643 lets a service provider publish the subset of a schema it supports;
phone numbers, addresses, photos, roles and the like are personal data that
Enclave has no use for, so they are not accepted, stored or returned. A User's
password is not part of it either: provisioned users sign in through single
sign-on. The provider ignores attributes it does not declare (a password, a
phone number) instead of refusing the request, as identity providers send them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import EmailStr, Field
from scim2_models import (
    CaseExact,
    ComplexAttribute,
    GroupMembership,
    Mutability,
    Reference,
    Required,
    Resource,
    Uniqueness,
)
from scim2_models.urn import URN

__all__ = ["Email", "Group", "GroupMember", "Name", "User"]


class Name(ComplexAttribute):
    """The parts of a name Django keeps (first and last)."""

    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    """One email address; Enclave keeps one: the primary one, or else the first."""

    value: EmailStr | None = None
    type: str | None = None  # identity providers address it as emails[type eq "work"]
    primary: bool | None = None


class User(Resource[Any]):
    """urn:ietf:params:scim:schemas:core:2.0:User, as far as Enclave keeps it."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    Name: ClassVar[type[ComplexAttribute]] = Name
    display_name: str | None = None
    active: bool | None = None
    emails: list[Email] | None = None
    Emails: ClassVar[type[ComplexAttribute]] = Email
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    Groups: ClassVar[type[ComplexAttribute]] = GroupMembership


class GroupMember(ComplexAttribute):
    """A member: a user's id (groups do not nest); ``type`` and ``display`` are ignored."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[
        Reference["User"] | None,  # noqa: UP037  # a resource type name: users only, no nested groups
        Mutability.immutable,
    ] = Field(None, serialization_alias="$ref", validation_alias="$ref")


class Group(Resource[Any]):
    """urn:ietf:params:scim:schemas:core:2.0:Group: a name and its member users."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None
    Members: ClassVar[type[ComplexAttribute]] = GroupMember
