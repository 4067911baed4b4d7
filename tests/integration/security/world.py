"""A small organisation on the real database, for the permission tests (no ingestion).

Groups A and B; ann reads A, ben reads B, nia has no group, sam is staff.
Collection "A docs" (group A) holds a document; "Shared" (A and B) holds one
document restricted to A; "B docs" (group B) one document. ann has a
conversation whose answer cites the A document. Every person has a token with
every scope they may hold; sam also has one token per scope.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.test import Client

from webapp.accounts.models import ApiToken
from webapp.accounts.services import token_create
from webapp.chat.models import Conversation, Message
from webapp.core.permissions import SYSTEM
from webapp.evalsets.models import EvalSet
from webapp.knowledge.models import Collection, Document, DocumentStatus

PASSWORD = "matrix-pass-123"
SCOPES = ("read", "ask", "ingest", "admin", "scim")
A_SECRET = "The A-only figure is 987654."


@dataclass
class World:
    """Ids and credentials the tests address."""

    groups: dict[str, Group]
    users: dict[str, User]
    collections: dict[str, Collection]
    documents: dict[str, Document]
    conversation: Conversation
    answer: Message
    tokens: dict[str, str] = field(default_factory=dict)
    token_rows: dict[str, ApiToken] = field(default_factory=dict)
    eval_set_id: int = 0

    def session(self, who: str) -> Client:
        """A browser signed in as ``who``."""
        client = Client()
        client.force_login(self.users[who])
        return client

    def api(self, who: str) -> Client:
        """An API client with ``who``'s token (a person's, or ``scope:NAME`` of sam's)."""
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.tokens[who]}")


@cache
def _password_hash() -> str:
    # Hashed once: the matrix builds this world hundreds of times (PBKDF2 is slow on purpose).
    return make_password(PASSWORD)


def _document(folder: Path, collection: Collection, title: str, text: str) -> Document:
    content = text.encode()
    path = folder / f"{title}.txt"
    path.write_bytes(content)
    return Document.objects.create(
        collection=collection,
        title=title,
        filename=f"{title}.txt",
        mime_type="text/plain",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_path=str(path),
        status=DocumentStatus.INDEXED,
        chunk_count=1,
    )


def _citation(document: Document, text: str) -> dict[str, Any]:
    return {
        "number": 1,
        "document_id": document.id,
        "collection_id": document.collection_id,
        "chunk_index": 0,
        "title": document.title,
        "page": None,
        "heading": "",
        "text": text,
        "score": 0.9,
    }


def build_world(folder: Path) -> World:
    """The organisation above, with fresh rows."""
    groups = {name: Group.objects.create(name=name) for name in ("A", "B")}
    users = {
        name: User.objects.create(username=name, password=_password_hash(), is_staff=name == "sam")
        for name in ("ann", "ben", "nia", "sam")
    }
    users["ann"].groups.add(groups["A"])
    users["ben"].groups.add(groups["B"])
    collections = {
        "A": Collection.objects.create(name="A docs"),
        "B": Collection.objects.create(name="B docs"),
        "shared": Collection.objects.create(name="Shared"),
    }
    collections["A"].allowed_groups.set([groups["A"]])
    collections["B"].allowed_groups.set([groups["B"]])
    collections["shared"].allowed_groups.set([groups["A"], groups["B"]])
    documents = {
        "A": _document(folder, collections["A"], "a-report", A_SECRET),
        "B": _document(folder, collections["B"], "b-report", "B text."),
        "shared_for_A": _document(folder, collections["shared"], "shared-a", "Shared, A only."),
    }
    documents["shared_for_A"].allowed_groups.set([groups["A"]])
    conversation = Conversation.objects.create(user=users["ann"], title="Figures")
    Message.objects.create(conversation=conversation, role="user", text="Which figure?")
    answer = Message.objects.create(
        conversation=conversation,
        role="assistant",
        text="The figure is 987654 [1].",
        citations=[_citation(documents["A"], A_SECRET)],
        retrieval=[{"number": 1, "document_id": documents["A"].id, "chunk_index": 0, "score": 0.9}],
        backend="extractive",
        grounded=True,
    )
    world = World(groups, users, collections, documents, conversation, answer)
    # An evaluation set of sam's (the console's evaluation pages address it).
    world.eval_set_id = EvalSet.objects.create(name="Matrix set", uploaded_by=users["sam"]).id
    for who, scopes in {
        "ann": ["read", "ask", "ingest"],
        "ben": ["read", "ask", "ingest"],
        "nia": ["read", "ask", "ingest"],
        "sam": list(SCOPES),
    }.items():
        world.token_rows[who], world.tokens[who] = token_create(
            user=users[who], name=who, scopes=scopes, actor=SYSTEM
        )
    for scope in SCOPES:
        name = f"scope:{scope}"
        world.token_rows[name], world.tokens[name] = token_create(
            user=users["sam"], name=name, scopes=[scope], actor=SYSTEM
        )
    return world
