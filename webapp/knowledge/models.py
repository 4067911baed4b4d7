"""Collections and documents: the database is the source of truth for ingestion state."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Collection(models.Model):
    """A set of documents readable by the same groups."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    allowed_groups = models.ManyToManyField(Group, blank=True, related_name="collections")
    created_at = models.DateTimeField(auto_now_add=True)
    # Each change of allowed_groups bumps groups_version; the worker copies the groups
    # onto the points and records the version it wrote. Behind = a change still on its way.
    groups_version = models.IntegerField(default=0)
    groups_applied_version = models.IntegerField(default=0)
    groups_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PARSING = "parsing", "Parsing"
    CHUNKING = "chunking", "Chunking"
    EMBEDDING = "embedding", "Embedding"
    INDEXING = "indexing", "Indexing"
    INDEXED = "indexed", "Indexed"
    FAILED = "failed", "Failed"
    DELETING = "deleting", "Deleting"


IN_PROGRESS_STATUSES = (
    DocumentStatus.QUEUED,
    DocumentStatus.PARSING,
    DocumentStatus.CHUNKING,
    DocumentStatus.EMBEDDING,
    DocumentStatus.INDEXING,
)


class DocumentSource(models.TextChoices):
    UPLOAD = "upload", "Upload"
    CLI = "cli", "Command line"
    API = "api", "API"
    SYNC = "sync", "Folder sync"


class TitleSource(models.TextChoices):
    """Where a document's title came from; only an administrator's title is kept as given."""

    ADMIN = "admin", "Given by an administrator"
    DOCUMENT = "document", "The document's own (metadata or first heading)"
    FILENAME = "filename", "The file name"


class Document(models.Model):
    """One file in a collection, with its ingestion status and progress."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=500)
    # The file name's until the document is parsed, then the document's own title when
    # it has a real one; an administrator's title is never replaced.
    title_source = models.CharField(
        max_length=10, choices=TitleSource.choices, default=TitleSource.FILENAME
    )
    filename = models.CharField(max_length=500)
    source = models.CharField(
        max_length=20, choices=DocumentSource.choices, default=DocumentSource.UPLOAD
    )
    mime_type = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    stored_path = models.CharField(max_length=1000)
    # Folder sync: the file's absolute path (identity within the collection) and the
    # size/mtime seen when it was last hashed, so an unchanged file is not even read.
    source_path = models.CharField(max_length=1000, blank=True, db_index=True)
    source_mtime_ns = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED, db_index=True
    )
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    chunk_count = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    version = models.IntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    # Fingerprint of the model, chunking and BM25 settings the points were made with
    # (retrieval.pipeline.embedding_key); with sha256 it says whose vectors can be reused.
    embedding_key = models.CharField(max_length=64, blank=True, db_index=True)
    # The document whose stored vectors were copied at the last indexing (None: embedded).
    # A plain id, not a key: the copy outlives the source.
    vectors_reused_from = models.IntegerField(null=True, blank=True)
    # Empty: the collection's groups read it; else a subset of them (document_set_groups).
    allowed_groups = models.ManyToManyField(Group, blank=True, related_name="documents")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "sha256"], name="unique_file_per_collection"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def progress_percent(self) -> int:
        """Progress of the current stage, 0–100 (0 once failed: the work did not complete)."""
        if self.status == DocumentStatus.INDEXED:
            return 100
        if self.status == DocumentStatus.FAILED:
            return 0
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


def requeue_fields() -> dict[str, object]:
    """Field values that put a document back at the start of ingestion (for ``update()``)."""
    from django.utils import timezone

    return {
        "status": DocumentStatus.QUEUED,
        "progress_done": 0,
        "progress_total": 0,
        "error_code": "",
        "error_message": "",
        "heartbeat_at": None,
        "updated_at": timezone.now(),
    }


class SearchIndexState(models.TextChoices):
    BUILDING = "building", "Building"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class SearchIndex(models.Model):
    """One vector index (a Qdrant collection or Edge shard) and the embedding model that built it.

    Exactly one row is ``active``: every process searches and indexes through it.
    At most one is ``building`` (an embedding-model change): the worker fills it
    in the background while ingestion writes to both, and the switch is one
    transaction that retires the active row and activates the built one.
    """

    name = models.CharField(max_length=200, unique=True)
    # Local sentence-transformers directory; empty = the packaged all-MiniLM-L6-v2.
    model_dir = models.CharField(max_length=1000, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    # What runs the model ("torch", "onnx-int8"): its vectors differ, so it is part of
    # the index's identity. Indexes recorded before backends existed were built by torch.
    backend = models.CharField(max_length=20, default="torch")
    dimension = models.IntegerField(default=0)
    state = models.CharField(max_length=20, choices=SearchIndexState.choices, db_index=True)
    # Build progress: documents are built in id order; the cursor is the last id done.
    build_cursor = models.BigIntegerField(default=0)
    documents_done = models.IntegerField(default=0)
    documents_total = models.IntegerField(default=0)
    # Only the build task carrying this token may run the next step (no duplicate chains).
    build_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="active"),
                name="one_active_search_index",
            ),
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="building"),
                name="one_search_index_building",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model_name}, {self.state})"


class SearchIndexSkip(models.Model):
    """A document a build could not write into its index, and why (the switch fails it)."""

    index = models.ForeignKey(SearchIndex, on_delete=models.CASCADE, related_name="skips")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    # The version that was read: a document replaced since is ingested again anyway.
    document_version = models.IntegerField()
    code = models.CharField(max_length=64)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["index", "document"], name="one_skip_per_document"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}/{self.document_id}: {self.code}"
