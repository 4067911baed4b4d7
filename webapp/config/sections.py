"""The sections of the settings object, one per area (``settings.search``, ``settings.llm``...).

Each field keeps the environment variable it always had: ``ENCLAVE_`` plus the
section's ``env_prefix`` plus the field's name (``search.dense_weight`` is
``ENCLAVE_SEARCH_DENSE_WEIGHT``), or the name in ``json_schema_extra["env"]`` where
the two differ. A section's docstring is its title and sentence in
docs/configuration.md; a field's ``description`` is its row there (Markdown, links
relative to ``docs/``).
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo

from retrieval.config import EmbeddingConfig, RerankConfig, SearchConfig
from retrieval.fusion import FusionMethod

__all__ = [
    "AnswerSettings",
    "EmbeddingSettings",
    "IngestionSettings",
    "LdapSettings",
    "LlmSettings",
    "MetricsSettings",
    "ModelPrice",
    "OidcSettings",
    "SearchSettings",
    "SignInSettings",
    "StoreSettings",
    "SyncSourceSettings",
    "UsageSettings",
    "WorkerSettings",
    "env_name",
]

ENV_PREFIX = "ENCLAVE_"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    # The variables of this section's fields start with ENCLAVE_ and this (in upper case).
    env_prefix: ClassVar[str] = ""


def env_name(section: type[BaseModel] | None, name: str, field: FieldInfo) -> str:
    """The environment variable of one field (of a section, or of the top level)."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("env"), str):
        return str(extra["env"])
    prefix = getattr(section, "env_prefix", "") if section is not None else ""
    return f"{ENV_PREFIX}{prefix}{name}".upper()


class WorkerSettings(_Section):
    """Broker and worker.

    Where ingestion tasks queue and how the worker takes them.
    """

    broker_url: SecretStr | None = Field(
        None,
        description="Redis, e.g. `redis://redis:6379/0`, then run `enclave worker` processes; "
        "an embedded SQLite broker under home when unset.",
    )
    concurrency: int | None = Field(
        None,
        description="Ingestion tasks per worker; unset: 4 threads in the embedded worker "
        "(they share one embedding batcher, so their chunks are encoded together), "
        "1 process in `enclave worker`.",
        json_schema_extra={"env": "ENCLAVE_WORKER_CONCURRENCY"},
    )
    queue_name: str = Field(
        "enclave",
        description="Broker queue; distinct names let several installations share one Redis.",
    )
    stalled_after_s: int = Field(
        300, description="A document with no progress for this long is requeued."
    )
    reconcile_interval_s: int = Field(
        60, description="How often the reconciler looks for stalled documents."
    )


class StoreSettings(_Section):
    """Vector store."""

    env_prefix: ClassVar[str] = "qdrant_"
    url: str | None = Field(
        None,
        description="A Qdrant server or cluster through `qdrant-client`; "
        "embedded Qdrant Edge under home when unset.",
    )
    api_key: SecretStr | None = Field(None, description="API key of the Qdrant server.")
    collection: str = Field(
        "enclave_chunks", description="Collection name in Qdrant (index builds add a suffix)."
    )
    edge_search_threads: int = Field(
        1,
        ge=1,
        description="Threads of Qdrant Edge's search pool; a query holds Python's GIL while "
        "the pool works, so under concurrent questions one thread is fastest "
        "([performance.md](performance.md)).",
        json_schema_extra={"env": "ENCLAVE_EDGE_SEARCH_THREADS"},
    )


class EmbeddingSettings(_Section):
    """Embedding."""

    env_prefix: ClassVar[str] = "embedding_"
    model: str = Field(
        EmbeddingConfig.model,
        description="`use-multilingual-v3` (packaged Universal Sentence Encoder multilingual "
        "v3, numpy, 512 dims; English and Portuguese, also across languages), "
        "`all-MiniLM-L6-v2` (packaged, English, 384 dims) or a local sentence-transformers "
        "directory; nothing is downloaded. Changing it rebuilds the index in the background "
        "at the next `enclave serve` ([retrieval.md](retrieval.md#embedding-models), "
        "[operations.md](operations.md#re-indexing-and-model-switches)).",
    )
    model_dir: Path | None = Field(
        None,
        description="A local sentence-transformers model directory (never a hub id); "
        "replaces `ENCLAVE_EMBEDDING_MODEL` when set.",
    )
    batch_size: int = Field(32, description="Chunks per embedding batch.")
    models_dir: Path | None = Field(
        None,
        description="Where the int8 export is cached; unset: home/models. Processes sharing "
        "it (web, workers) export once.",
        json_schema_extra={"env": "ENCLAVE_MODELS_DIR"},
    )
    # onnx-int8 by default: SciFact nDCG@10 within 0.005 of torch fp32 (issue 3's bar),
    # about twice the CPU throughput; see ops/bench/results/embedding.md.
    backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description="For sentence-transformers models (MiniLM, a directory): `onnx-int8` (CPU: "
        "ONNX export with int8 weights run by onnxruntime) or `torch` (fp32 as shipped); "
        "`use-multilingual-v3` always runs on numpy; an index only accepts the model and "
        "backend that built it "
        "([operations.md](operations.md#embedding-backends-and-the-int8-export)).",
    )
    torch_threads: int | None = Field(
        None,
        description="CPU threads for embedding (torch, onnxruntime, or numpy's BLAS for USE) "
        "and reranking; unset: the cores minus one (room for the web process).",
        json_schema_extra={"env": "ENCLAVE_TORCH_THREADS"},
    )


class SyncSourceSettings(BaseModel):
    """One remote source of ENCLAVE_SYNC_SOURCES: a WebDAV or SMB URL and whom to sign in as."""

    # A password written inline is refused (EnclaveSettings' errors do not repeat the input).
    model_config = ConfigDict(frozen=True, extra="forbid")
    reference_name: ClassVar[str] = "source"
    url: str = Field(pattern=r"^(https?|smb)://[^/@]+/", description="WebDAV or SMB folder URL.")
    user: str
    # The password itself never sits in the configuration: a file (first line) or a variable.
    password_file: Path | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _one_password(self) -> SyncSourceSettings:
        if (self.password_file is None) == (self.password_env is None):
            raise ValueError("give exactly one of password_file and password_env")
        return self


class IngestionSettings(_Section):
    """Ingestion.

    Parsing, chunking and folder sync.
    """

    overlap: bool = Field(
        True,
        description="Parse the next documents while chunks are embedded (on the core torch "
        "leaves free); false on a CPU that other work keeps busy (parsing threads then slow "
        "the encoder).",
        json_schema_extra={"env": "ENCLAVE_INGEST_OVERLAP"},
    )
    chunk_tokens: int = Field(200, description="Chunk size in the embedding model's tokens.")
    chunk_overlap_tokens: int = Field(
        30, description="Tokens shared by neighbouring chunks of a section."
    )
    max_upload_mb: int = Field(200, description="Larger files fail with a clear reason.")
    max_unzipped_mb: int = Field(
        1024, description="DOCX/PPTX/XLSX that would unpack to more fail (decompression bombs)."
    )
    parse_max_part_mb: int = Field(
        64,
        ge=1,
        description="An XML part of a DOCX/PPTX/XLSX (e.g. word/document.xml) that unpacks to "
        "more fails the document.",
    )
    parse_isolation: bool = Field(
        True,
        description="Parse each document in a child process under the limits below "
        "([ingestion.md](ingestion.md#limits)); false: in the worker's own process, unbounded.",
    )
    parse_max_memory_mb: int = Field(
        2048, ge=256, description="Memory (address space) one document's parser may use."
    )
    parse_max_cpu_s: int = Field(
        300, ge=1, description="CPU seconds one document's parser may use."
    )
    parse_timeout_s: int = Field(
        600, ge=1, description="Seconds to wait for one document's parser before failing it."
    )
    ocr: bool | None = Field(
        None,
        description="Read PDF pages without a text layer (scans) and images (PNG, JPEG, TIFF) "
        "with Tesseract ([ingestion.md](ingestion.md#ocr)); unset: on when "
        "`ENCLAVE_OCR_COMMAND` is found; false: such documents fail with a reason.",
    )
    ocr_command: str = Field(
        "tesseract",
        description="The Tesseract program, a name on `PATH` or a path (Debian: `tesseract-ocr`).",
    )
    ocr_languages: str = Field(
        "eng+por",
        pattern=r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$",
        description="Tesseract's languages, joined by `+`; each needs its data installed "
        "(Debian: `tesseract-ocr-eng`, `tesseract-ocr-por`, ...).",
    )
    ocr_max_pages: int = Field(
        100,
        ge=1,
        description="Pages of one document that may need OCR (a full page of text takes "
        "2–7 s on one core); a document with more fails. Raise `ENCLAVE_PARSE_TIMEOUT_S` "
        "with it.",
    )
    sync_folders: dict[str, Path] = Field(
        default_factory=dict,
        description='`{"COLLECTION": "/folder"}`: folders kept in sync by the periodic task '
        "([operations.md](operations.md#folder-sync)).",
    )
    sync_sources: dict[str, SyncSourceSettings] = Field(
        default_factory=dict,
        description='`{"COLLECTION": {"url": "https://dav.example.com/Policies", "user": "svc", '
        '"password_file": "/etc/enclave/dav-password"}}`: WebDAV (`https://`) and SMB '
        "(`smb://server/share/folder`) folders kept in sync like `ENCLAVE_SYNC_FOLDERS`; the "
        "password comes from `password_file` or the variable named by `password_env` "
        "([connectors.md](connectors.md)).",
    )
    sync_interval_s: int = Field(300, description="Seconds between folder sync passes.")


class SearchSettings(_Section):
    """Search.

    Hybrid search: a dense (meaning) arm and a BM25 (words) arm, fused.
    """

    env_prefix: ClassVar[str] = "search_"
    limit: int = Field(6, description="Passages given to the answer.")
    fusion: FusionMethod = Field(
        SearchConfig.fusion,
        description="How the dense and BM25 arms are fused (`coverage`, `minmax`, `rrf` or "
        "`dbsf`), chosen across every evaluation set with both packaged models "
        "([retrieval.md](retrieval.md)).",
    )
    dense_weight: float = Field(
        SearchConfig.dense_weight, description="Weight of the dense (meaning) arm in the fusion."
    )
    sparse_weight: float = Field(
        SearchConfig.sparse_weight, description="Weight of the BM25 (words) arm in the fusion."
    )
    rrf_k: int = Field(
        SearchConfig.rrf_k, description="The k of reciprocal rank fusion (`rrf` only)."
    )
    candidates: int = Field(
        SearchConfig.candidates, description="Candidates each arm brings to the fusion."
    )
    uncovered_dense_weight: float = Field(
        SearchConfig.uncovered_dense_weight,
        description="Dense-arm weight for a query in a language the embedding model does not "
        "cover: BM25 leads, dense breaks ties.",
    )
    uncovered_rrf_k: int = Field(
        SearchConfig.uncovered_rrf_k,
        description="The k of reciprocal rank fusion for such a query.",
    )
    relevance_min_dense: float | None = Field(
        SearchConfig.relevance_min_dense,
        description="Relevance gate: cosine similarity at which a passage counts as relevant "
        'by meaning; none left means "not found"; unset: the value calibrated for the '
        "embedding model (0.36 USE, 0.33 MiniLM and others), set: the same for every model "
        "([retrieval.md](retrieval.md#the-relevance-gate)).",
    )
    relevance_min_coverage: float | None = Field(
        SearchConfig.relevance_min_coverage,
        description="Relevance gate: share of the question's BM25 terms at which a passage "
        "found by BM25 counts as relevant by its words; unset: calibrated per model (0.55 "
        "for both packaged models).",
    )
    max_per_document: int = Field(
        SearchConfig.max_per_document, description="Passages one document may give an answer."
    )
    merge_adjacent: bool = Field(
        SearchConfig.merge_adjacent,
        description="Join neighbouring chunks of a section into one passage.",
    )
    embedding_languages: list[str] | None = Field(
        None,
        description='Languages (ISO 639-1) the embedding model covers, e.g. `["en","pt"]`; '
        "unset: guessed from the model's name.",
    )
    rerank_model_dir: Path | None = Field(
        None,
        description="A local sentence-transformers CrossEncoder directory; reranking is off "
        "when unset.",
    )
    rerank_candidates: int = Field(
        RerankConfig.candidates, description="Passages the reranker reorders."
    )


class LlmSettings(_Section):
    """Language models.

    No endpoint configured: answers are extractive.
    """

    env_prefix: ClassVar[str] = "llm_"
    endpoints: str = Field(
        "",
        description="`BASE_URL|MODEL[|WEIGHT]`, comma-separated (vLLM replicas or llama.cpp "
        '`llama-server`), or a JSON list of `{"base_url", "model", "weight", "api_key"}`; '
        "empty: extractive answers.",
    )
    models: str = Field(
        "",
        description="JSON model catalogue `{MODEL: {kind, tier, description, endpoints, "
        "context_tokens, max_answer_tokens}}`; replicas in `ENCLAVE_LLM_ENDPOINTS` with the "
        "same MODEL join it ([llm.md](llm.md), "
        "[answers.md](answers.md#backends-kinds-and-capabilities)).",
    )
    default_model: str = Field(
        "", description="Model for simple questions; empty: the first small-tier model."
    )
    context_tokens: int = Field(
        8192, description="Prompt budget; set to the server's `--max-model-len`."
    )
    max_answer_tokens: int = Field(512, description="Longest answer, in tokens.")
    connect_timeout_s: float = Field(
        3.0, description="Seconds to connect to a replica (no hang when replicas are down)."
    )
    first_token_timeout_s: float = Field(
        20.0, description="Seconds to wait for an answer's first token."
    )
    request_timeout_s: float = Field(60.0, description="Seconds one whole answer may take.")
    hard_question_words: int = Field(
        40, description="Questions this long (in words) go to the large tier."
    )
    replica_cooloff_s: float = Field(
        10.0, description="How long a failed replica rests before it is tried again."
    )
    health_interval_s: float = Field(
        10.0,
        ge=0,
        description="Seconds between active health checks of every replica (`GET /health`, "
        "`GET /v1/models`); 0 turns them off.",
    )
    rewrite_follow_ups: bool = Field(
        True,
        description='Rewrite follow-up questions ("and in 2023?") with the model before retrieval.',
    )


class AnswerSettings(_Section):
    """Answers."""

    env_prefix: ClassVar[str] = "answer_"
    min_score: float | None = Field(
        None,
        description="A fixed floor on the fused search score replacing the relevance gate "
        "(`ENCLAVE_SEARCH_RELEVANCE_MIN_*`); unset: the gate.",
    )
    support_check: bool = Field(
        True,
        description="Judge meaning with the embedding model (not only words) when choosing "
        "extractive sentences and checking that each answer sentence is supported "
        "([answers.md](answers.md)).",
    )
    support_min_similarity: float = Field(
        0.45,
        description="Support (0-1, mean of shared words and embedding similarity) from which "
        "a passage backs an answer sentence; under it for every passage: unsupported.",
    )


class SignInSettings(_Section):
    """Sign-in and sessions."""

    secure_cookies: bool = Field(
        False,
        description="Session and CSRF cookies only over HTTPS, and HSTS on secure requests; "
        "trusts `X-Forwarded-Proto` from the proxy. Set when served over HTTPS.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Proxy addresses or networks, e.g. `["127.0.0.1"]` behind ops/nginx: only '
        "requests from these may set the client address and scheme (X-Forwarded-For/-Proto); "
        "empty: those headers are ignored.",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins per username and address before a lockout."
    )
    login_max_failures_per_account: int = Field(
        10,
        ge=1,
        description="Failed sign-ins per username from any address before the account "
        "itself is locked for everyone (guesses spread over many addresses).",
    )
    login_lockout_s: int = Field(900, description="Window and length of a sign-in lockout.")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        # An address or a network each; "*" (trust everyone) would reopen the spoofing.
        return _networks(value)


def _networks(value: list[str]) -> list[str]:
    """``value`` stripped, each entry an IP address or network (ValueError otherwise)."""
    for entry in value:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return [entry.strip() for entry in value]


class MetricsSettings(_Section):
    """Metrics.

    The Prometheus endpoint `/metrics`: off (404) until a token or client addresses
    are set ([operations.md](operations.md#metrics)).
    """

    env_prefix: ClassVar[str] = "metrics_"
    token: SecretStr | None = Field(
        None,
        description="Bearer token a scraper must send (`Authorization: Bearer …`, at least "
        "16 characters); set, `/metrics` answers 401 without it.",
    )
    allowed_networks: list[str] = Field(
        default_factory=list,
        description='Client addresses or networks that may scrape, e.g. `["10.0.5.0/24"]`; '
        "others get 404. With a token as well, both must match.",
    )

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # A short token is guessable: refuse to start rather than expose the figures.
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("the metrics token needs at least 16 characters")
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _client_networks(cls, value: list[str]) -> list[str]:
        return _networks(value)

    @property
    def enabled(self) -> bool:
        """Whether ``/metrics`` answers at all (a token or client networks are set)."""
        return self.token is not None or bool(self.allowed_networks)


class ModelPrice(BaseModel):
    """What one model's answers cost: per 1,000 tokens and per hour of model time (added up)."""

    # A misspelt key ("prompt_per_1K") fails at start instead of pricing nothing.
    model_config = ConfigDict(frozen=True, extra="forbid")
    prompt_per_1k: Decimal = Field(Decimal(0), ge=0)
    completion_per_1k: Decimal = Field(Decimal(0), ge=0)
    gpu_hour: Decimal = Field(Decimal(0), ge=0)


class UsageSettings(_Section):
    """Usage costs.

    What answers cost on the console's usage page, per group, collection and model
    ([operations.md](operations.md#usage-and-cost)).
    """

    env_prefix: ClassVar[str] = "usage_"
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="Price per model name (as answers name it): "
        '`{"llama-3.1-8b": {"prompt_per_1k": 0.0004, "completion_per_1k": 0.0012}, '
        '"llama-3.1-70b": {"gpu_hour": 2.5}}`; per 1,000 prompt tokens, per 1,000 '
        "completion tokens and per hour of the model's time on answers (its GPUs "
        "together), added up. In `enclave.toml`: a table per model under `[usage.prices]`. "
        "A model without a price is shown without a cost.",
    )
    currency: str = Field(
        "", max_length=8, description="Written beside costs, e.g. `EUR`; empty: none."
    )


class OidcSettings(_Section):
    """OpenID Connect.

    Sign-in through an identity provider ([web.md](web.md#sign-in)).
    """

    env_prefix: ClassVar[str] = "oidc_"
    client_id: str = Field(
        "",
        description="OpenID Connect is on when set; register `https://HOST/oidc/callback/` "
        "at the provider.",
    )
    client_secret: SecretStr | None = Field(None, description="The client's secret.")
    authorization_endpoint: str = Field(
        "",
        description="The provider's authorization endpoint (from its "
        "`/.well-known/openid-configuration`).",
    )
    token_endpoint: str = Field("", description="The provider's token endpoint.")
    userinfo_endpoint: str = Field("", description="The provider's userinfo endpoint.")
    jwks_endpoint: str = Field("", description="The provider's signing keys (JWKS).")
    sign_algo: str = Field("RS256", description="ID token signing algorithm.")
    scopes: str = Field("openid email profile", description="Scopes asked for.")
    username_claim: str = Field("preferred_username", description="Claim giving the username.")
    groups_claim: str = Field("groups", description="Claim giving the user's groups.")
    group_map: dict[str, str] = Field(
        default_factory=dict,
        description='`{"IdP group": "Enclave group"}`; empty: IdP group names are used as-is.',
    )
    admin_groups: list[str] = Field(
        default_factory=list, description="IdP groups whose members are Enclave admins."
    )
    button_label: str = Field(
        "Sign in with single sign-on", description="The sign-in page's button."
    )


class LdapSettings(_Section):
    """LDAP and Active Directory.

    Sign-in against a directory; needs the `ldap` extra ([web.md](web.md#sign-in)).
    """

    env_prefix: ClassVar[str] = "ldap_"
    server_uri: str = Field("", description="e.g. `ldaps://ad.example.com`; LDAP is on when set.")
    bind_dn: str = Field("", description="The service account used to find users.")
    bind_password: SecretStr | None = Field(None, description="The service account's password.")
    start_tls: bool = Field(False, description="Upgrade an `ldap://` connection with StartTLS.")
    user_search_base: str = Field(
        "", description="Where users are, e.g. `ou=people,dc=example,dc=com`."
    )
    user_filter: str = Field(
        "(uid=%(user)s)", description="Active Directory: `(sAMAccountName=%(user)s)`."
    )
    group_search_base: str = Field("", description="Where groups are.")
    group_type: str = Field(
        "groupOfNames",
        description="`groupOfNames`, `groupOfUniqueNames`, `posixGroup` or `activeDirectory`.",
    )
    group_map: dict[str, str] = Field(
        default_factory=dict,
        description='`{"LDAP group cn": "Enclave group"}`; empty: LDAP names as-is.',
    )
    admin_groups: list[str] = Field(
        default_factory=list, description="LDAP groups (cn) whose members are Enclave admins."
    )
