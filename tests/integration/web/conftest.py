"""Users, groups, a collection and a stored document for the web view tests (no ingestion)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from webapp.knowledge.models import Collection, Document, DocumentStatus

PASSWORD = "correct-horse-battery-staple"
PDF_BYTES = b"%PDF-1.4\n% Enclave test file\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def hr_group(db) -> Group:
    return Group.objects.create(name="hr")


@pytest.fixture
def finance_group(db) -> Group:
    return Group.objects.create(name="finance")


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user("ada", password=PASSWORD, is_staff=True)


@pytest.fixture
def member(hr_group) -> User:
    user = User.objects.create_user("maria", password=PASSWORD)
    user.groups.add(hr_group)
    return user


@pytest.fixture
def outsider(finance_group) -> User:
    user = User.objects.create_user("otto", password=PASSWORD)
    user.groups.add(finance_group)
    return user


@pytest.fixture
def client_as() -> Callable[[User], Client]:
    """A test client signed in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def hr_collection(hr_group) -> Collection:
    collection = Collection.objects.create(name="HR policies", description="Leave and benefits")
    collection.allowed_groups.set([hr_group])
    return collection


@pytest.fixture
def finance_collection(finance_group) -> Collection:
    collection = Collection.objects.create(name="Finance")
    collection.allowed_groups.set([finance_group])
    return collection


@pytest.fixture
def make_document(tmp_path) -> Callable[..., Document]:
    """A document row whose original is a real file under tmp_path, as if already ingested."""
    return lambda *args, **kwargs: _stored_document(tmp_path, *args, **kwargs)


def _stored_document(
    folder: Path, collection: Collection, content: bytes, *, filename: str, mime_type: str, **fields
) -> Document:
    path = folder / f"stored-{hashlib.sha256(content).hexdigest()[:12]}"
    path.write_bytes(content)
    values = {
        "title": Path(filename).stem,
        "status": DocumentStatus.INDEXED,
        "chunk_count": 3,
        **fields,
    }
    return Document.objects.create(
        collection=collection,
        filename=filename,
        mime_type=mime_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_path=str(path),
        **values,
    )


@pytest.fixture
def hr_pdf(hr_collection, make_document) -> Document:
    return make_document(
        hr_collection,
        PDF_BYTES,
        filename="Employee handbook.pdf",
        mime_type="application/pdf",
    )


@pytest.fixture
def failed_scan(hr_collection, make_document) -> Document:
    """A PDF in HR that failed: no text layer."""
    return make_document(
        hr_collection,
        b"broken",
        filename="scan.pdf",
        mime_type="application/pdf",
        status=DocumentStatus.FAILED,
        error_message="The PDF has no text layer.",
    )


@pytest.fixture
def running(hr_collection, make_document) -> Document:
    """A document three quarters through embedding."""
    return make_document(
        hr_collection,
        b"in progress",
        filename="policy.txt",
        mime_type="text/plain",
        status=DocumentStatus.EMBEDDING,
        progress_done=3,
        progress_total=4,
        chunk_count=0,
    )


def web_chat_ask(client: Client, question: str, **fields: object) -> dict:
    """Ask through the web chat's endpoint as the page does; the ``done`` event's data.

    ``fields``: the rest of the page's body (``conversation_id``, ``replace``).
    """
    import asyncio

    from tests.support.chat import iter_sse

    body = {"question": question, **fields}
    response = client.post("/chat/ask", body, content_type="application/json")
    assert response.status_code == 200, response.content
    stream = response.streaming_content
    if hasattr(stream, "__aiter__"):  # an async body under ASGI

        async def read() -> list[bytes]:
            return [chunk async for chunk in stream]

        chunks = asyncio.run(read())
    else:
        chunks = list(stream)
    events = list(iter_sse(c.decode() if isinstance(c, bytes) else c for c in chunks))
    assert events[-1][0] == "done", events[-1]
    return events[-1][1]


@pytest.fixture
def handbook_reader(ingest_handbook) -> dict:
    """A staff handbook ingested for real into "HR policies" (hr), read by maria; ada is admin.

    For tests along the user's path (needs ``django_db(transaction=True)``): the
    answers come from the real search and the extractive default.
    """
    from webapp.knowledge.services import collection_create

    hr = Group.objects.create(name="hr")
    admin = User.objects.create_user("ada", password=PASSWORD, is_staff=True)
    maria = User.objects.create_user("maria", password=PASSWORD)
    maria.groups.add(hr)
    collection = collection_create(name="HR policies", group_ids=[hr.id], actor=admin)
    document = ingest_handbook(collection, admin)
    return {"admin": admin, "maria": maria, "collection": collection, "document": document}
