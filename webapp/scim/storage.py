"""scim2-server's storage over Django's users and groups: every read goes to the database.

Filters are evaluated by scim2-models on the resources, after the database has
narrowed an equality on the attribute an identity provider looks up
(``userName``, ``displayName`` or ``externalId``), so the common
``userName eq "..."`` costs one indexed query; other filters read the whole
table (hundreds to a few thousand users on premises).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as DjangoGroup
from django.db import transaction
from django.db.models import QuerySet
from scim2_models import (
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage

from webapp.core.errors import EnclaveError, PermissionDeniedError
from webapp.scim import services
from webapp.scim.resources import group_resource, member_ids_of, user_fields_of, user_resource
from webapp.scim.schema import Group, User

__all__ = ["DjangoStorage"]

# Attribute (lowercase, as filters may spell it) -> the column an equality narrows on.
_USER_EQUALITY = {"username": "username__iexact", "externalid": "scim__external_id"}
_GROUP_EQUALITY = {"displayname": "name__iexact", "externalid": "scim__external_id"}


@contextmanager
def _scim_errors() -> Iterator[None]:
    """Enclave's errors from the services as SCIM errors (status and scimType)."""
    try:
        yield
    except services.DuplicateError as exc:
        raise UniquenessException(detail=exc.message) from None
    except PermissionDeniedError as exc:
        raise ForbiddenException(detail=exc.message) from None
    except (EnclaveError, ValueError) as exc:
        raise InvalidValueException(detail=getattr(exc, "message", str(exc))) from None


def _users() -> QuerySet[Any]:
    return get_user_model().objects.select_related("scim").prefetch_related("groups")


def _groups() -> QuerySet[DjangoGroup]:
    return DjangoGroup.objects.select_related("scim").prefetch_related("user_set")


def _narrowed(queryset: QuerySet[Any], scim_filter: Any, columns: dict[str, str]) -> QuerySet:
    """The rows that can match an ``attr eq "value"`` filter (all rows for other filters)."""
    node = getattr(scim_filter, "ast", None)
    if isinstance(node, Comparison) and node.op == CompareOperator.eq:
        column = columns.get(str(node.attr_path.attr).lower())
        if column and isinstance(node.value, str) and node.attr_path.sub_attr is None:
            return queryset.filter(**{column: node.value})
    return queryset


def _id(resource_id: str | None) -> int:
    if resource_id is None or not resource_id.isdigit():
        raise NotFoundException(detail=f"{resource_id!r} not found")
    return int(resource_id)


class DjangoStorage(ScimStorage):
    """Users are ``auth.User`` rows, Groups ``auth.Group`` rows; ids are their primary keys."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    @contextmanager
    def operation(self) -> Iterator[None]:
        """One SCIM operation, one transaction."""
        with transaction.atomic():
            yield

    def _user(self, resource_id: str | None) -> Any:
        try:
            return _users().get(pk=_id(resource_id))
        except get_user_model().DoesNotExist:
            raise NotFoundException(detail=f"User {resource_id!r} not found") from None

    def _group(self, resource_id: str | None) -> DjangoGroup:
        try:
            return _groups().get(pk=_id(resource_id))
        except DjangoGroup.DoesNotExist:
            raise NotFoundException(detail=f"Group {resource_id!r} not found") from None

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """One user or group by id."""
        if resource_type.name == "User":
            return user_resource(self._user(resource_id))
        return group_resource(self._group(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """One page of the users or groups that match the filter, in id order."""
        found: list[Resource[Any]] = []
        for resource_type in resource_types:
            found += self._matching(resource_type.name, search_request.filter)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(total=len(found), resources=found[start:stop])

    def _matching(self, name: str | None, scim_filter: Any) -> list[Resource[Any]]:
        if name == "User":
            rows = _narrowed(_users(), scim_filter, _USER_EQUALITY).order_by("pk")
            resources: list[Resource[Any]] = [user_resource(u) for u in rows]
            model: type[Resource[Any]] = User
        else:
            rows = _narrowed(_groups(), scim_filter, _GROUP_EQUALITY).order_by("pk")
            resources = [group_resource(g) for g in rows]
            model = Group
        if scim_filter is None:
            return resources
        bound = ScimFilter[model](str(scim_filter))  # type: ignore[valid-type]
        return [r for r in resources if bound.match(r)]

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """A new user (no password) or group."""
        with _scim_errors():
            if resource_type.name == "User":
                fields = user_fields_of(cast(User, resource))
                user = services.scim_user_create(fields=fields, actor=self.actor)
                return user_resource(self._user(str(user.pk)))
            resource = cast(Group, resource)
            group = services.scim_group_create(
                name=resource.display_name or "",
                external_id=resource.external_id or "",
                member_ids=member_ids_of(resource),
                actor=self.actor,
            )
            return group_resource(self._group(str(group.pk)))

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """PUT and PATCH: ``resource`` is the whole new state, the request already applied."""
        with _scim_errors():
            if resource_type.name == "User":
                user = self._user(resource.id)
                fields = user_fields_of(cast(User, resource))
                services.scim_user_update(user=user, fields=fields, actor=self.actor)
                return user_resource(self._user(resource.id))
            resource = cast(Group, resource)
            group = self._group(resource.id)
            services.scim_group_update(
                group=group,
                name=resource.display_name or "",
                external_id=resource.external_id or "",
                member_ids=member_ids_of(resource),
                actor=self.actor,
            )
            return group_resource(self._group(resource.id))

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Delete a user (as the console does) or a group."""
        with _scim_errors():
            if resource_type.name == "User":
                services.scim_user_delete(user=self._user(resource_id), actor=self.actor)
            else:
                services.scim_group_delete(group=self._group(resource_id), actor=self.actor)
