"""REST views for collections, documents and search: translate HTTP into service calls."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from retrieval.errors import RetrievalError
from webapp.accounts.models import ApiScope
from webapp.api import serializers as s
from webapp.chat.services import passage_as_source, search_passages
from webapp.core.errors import ServiceUnavailableError, ValidationError
from webapp.knowledge.models import DocumentSource
from webapp.knowledge.selectors import (
    access_collection,
    access_document,
    collection_list_visible_to,
    document_list_visible_to,
)
from webapp.knowledge.services import (
    collection_create,
    collection_delete,
    collection_rename,
    collection_set_groups,
    document_create,
    document_delete,
    document_retry,
)

__all__ = [
    "CollectionDetailView",
    "CollectionDocumentsView",
    "CollectionGroupsView",
    "CollectionListView",
    "DocumentDetailView",
    "DocumentListView",
    "DocumentReindexView",
    "SearchView",
]


def validated(serializer_class: type, data: Any) -> dict[str, Any]:
    """The validated data of ``data``; 400 ``invalid`` otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def group_ids_for(names: list[str]) -> list[int]:
    """Ids of existing groups by name; an unknown name is a 400 (typos must not lock people out)."""
    found = dict(Group.objects.filter(name__in=names).values_list("name", "id"))
    missing = sorted(set(names) - set(found))
    if missing:
        raise ValidationError(f"Unknown groups: {', '.join(missing)}.")
    return sorted(found.values())


def visible_collection_ids(user: Any, ids: list[int] | None) -> list[int] | None:
    """``ids`` after checking each is readable by ``user``; 404 for any other."""
    if not ids:
        return None
    for collection_id in ids:
        access_collection(user=user, collection_id=collection_id)
    return list(dict.fromkeys(ids))


def _collection_response(
    user: Any, collection_id: int, *, code: int = status.HTTP_200_OK
) -> Response:
    """One collection as ``user`` reads it now (read again after a change to show its result)."""
    collection = access_collection(user=user, collection_id=collection_id)
    return Response(s.CollectionSerializer(collection).data, status=code)


class CollectionListView(APIView):
    required_scopes = {"GET": ApiScope.READ, "POST": ApiScope.ADMIN}

    @extend_schema(operation_id="collections_list", responses=s.CollectionSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Collections the token's user may read."""
        collections = collection_list_visible_to(user=request.user).prefetch_related(
            "allowed_groups"
        )
        return Response(s.CollectionSerializer(collections, many=True).data)

    @extend_schema(
        operation_id="collections_create",
        request=s.CollectionCreateSerializer,
        responses={201: s.CollectionSerializer},
    )
    def post(self, request: Request) -> Response:
        """Create a collection readable by the named groups (admin scope, staff user)."""
        data = validated(s.CollectionCreateSerializer, request.data)
        with transaction.atomic():
            collection = collection_create(
                name=data["name"],
                description=data["description"],
                group_ids=group_ids_for(data["groups"]),
                actor=request.user,
            )
        return _collection_response(request.user, collection.id, code=status.HTTP_201_CREATED)


class CollectionDetailView(APIView):
    required_scope = ApiScope.READ
    required_scopes = {"PATCH": ApiScope.ADMIN, "DELETE": ApiScope.ADMIN}

    @extend_schema(operation_id="collections_get", responses=s.CollectionSerializer)
    def get(self, request: Request, collection_id: int) -> Response:
        """One collection."""
        return _collection_response(request.user, collection_id)

    @extend_schema(
        operation_id="collections_rename",
        request=s.CollectionRenameSerializer,
        responses=s.CollectionSerializer,
    )
    def patch(self, request: Request, collection_id: int) -> Response:
        """Rename a collection; its documents and readers stay."""
        collection = access_collection(user=request.user, collection_id=collection_id)
        data = validated(s.CollectionRenameSerializer, request.data)
        collection_rename(collection=collection, name=data["name"], actor=request.user)
        return _collection_response(request.user, collection_id)

    @extend_schema(
        operation_id="collections_delete", responses={200: s.CollectionDeletedSerializer}
    )
    def delete(self, request: Request, collection_id: int) -> Response:
        """Erase a collection with every document in it (index, stored files, rows)."""
        collection = access_collection(user=request.user, collection_id=collection_id)
        with transaction.atomic():
            erased = collection_delete(collection=collection, actor=request.user)
        return Response({"id": collection_id, "documents_deleted": erased})


class CollectionGroupsView(APIView):
    required_scope = ApiScope.ADMIN

    @extend_schema(
        operation_id="collections_set_groups",
        request=s.CollectionGroupsSerializer,
        responses=s.CollectionSerializer,
    )
    def put(self, request: Request, collection_id: int) -> Response:
        """Replace the groups that may read a collection; its passages follow within seconds."""
        collection = access_collection(user=request.user, collection_id=collection_id)
        data = validated(s.CollectionGroupsSerializer, request.data)
        collection_set_groups(
            collection=collection, group_ids=group_ids_for(data["groups"]), actor=request.user
        )
        return _collection_response(request.user, collection_id)


class CollectionDocumentsView(APIView):
    required_scope = ApiScope.INGEST

    @extend_schema(
        operation_id="documents_create",
        request={
            "application/json": s.DocumentTextSerializer,
            "multipart/form-data": s.DocumentUploadSerializer,
        },
        responses={
            201: s.DocumentCreatedSerializer,
            200: OpenApiResponse(s.DocumentCreatedSerializer, description="Already there."),
            507: OpenApiResponse(
                s.ErrorSerializer, description="The disk holding uploads is full; nothing kept."
            ),
        },
    )
    def post(self, request: Request, collection_id: int) -> Response:
        """Add a document (a multipart file, or JSON text) and queue its ingestion."""
        collection = access_collection(user=request.user, collection_id=collection_id)
        if request.content_type.startswith("multipart/"):
            data = validated(s.DocumentUploadSerializer, request.data)
            upload = data["file"]
            # PostgreSQL refuses NUL in text; a multipart file name may carry one.
            filename, content = (upload.name or "").replace("\x00", "") or "document", upload
        else:
            data = validated(s.DocumentTextSerializer, request.data)
            filename = data["filename"]
            content = io.BytesIO(data["text"].encode("utf-8"))
        with transaction.atomic():
            document, created = document_create(
                collection=collection,
                filename=filename,
                content=content,
                actor=request.user,
                source=DocumentSource.API,
                title=data.get("title"),
            )
        body = {"created": created, "document": s.DocumentSerializer(document).data}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DocumentListView(APIView):
    required_scope = ApiScope.READ

    @extend_schema(
        operation_id="documents_list",
        parameters=[s.DocumentListQuerySerializer],
        responses=s.DocumentPageSerializer,
    )
    def get(self, request: Request) -> Response:
        """Documents the token's user may read, newest first, with status and progress."""
        query = validated(s.DocumentListQuerySerializer, request.query_params)
        documents = document_list_visible_to(
            user=request.user, collection_id=query.get("collection_id")
        )
        if "status" in query:
            documents = documents.filter(status=query["status"])
        return Response(s.page_body(documents, query, s.DocumentSerializer))


class DocumentDetailView(APIView):
    required_scopes = {"GET": ApiScope.READ, "DELETE": ApiScope.INGEST}

    @extend_schema(operation_id="documents_get", responses=s.DocumentSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        """One document with its status and progress."""
        document = access_document(user=request.user, document_id=document_id)
        return Response(s.DocumentSerializer(document).data)

    @extend_schema(operation_id="documents_delete", responses={204: None})
    def delete(self, request: Request, document_id: int) -> Response:
        """Erase a document: its passages leave the index at once."""
        document = access_document(user=request.user, document_id=document_id)
        document_delete(document=document, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentReindexView(APIView):
    required_scope = ApiScope.INGEST

    @extend_schema(
        operation_id="documents_reindex", request=None, responses={202: s.DocumentSerializer}
    )
    def post(self, request: Request, document_id: int) -> Response:
        """Queue a document's ingestion again, from scratch."""
        document = access_document(user=request.user, document_id=document_id)
        with transaction.atomic():
            document_retry(document=document, actor=request.user)
        document = access_document(user=request.user, document_id=document_id)
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)


class SearchView(APIView):
    required_scope = ApiScope.READ

    @extend_schema(
        operation_id="search",
        request=s.SearchRequestSerializer,
        responses=s.SearchResponseSerializer,
    )
    def post(self, request: Request) -> Response:
        """Passages the token's user may read, best first, with scores and citation metadata."""
        data = validated(s.SearchRequestSerializer, request.data)
        collection_ids = visible_collection_ids(request.user, data.get("collection_ids"))
        try:
            passages = search_passages(
                user=request.user,
                query=data["query"],
                collection_ids=collection_ids,
                limit=data.get("limit"),
            )
        except RetrievalError as exc:
            raise ServiceUnavailableError(str(exc)) from exc
        sources = [passage_as_source(n, p) for n, p in enumerate(passages, start=1)]
        return Response({"passages": sources})
