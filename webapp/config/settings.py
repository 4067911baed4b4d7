"""The one typed settings object of Enclave (Django-free).

Built once per process by a composition root (Django settings, the Celery app,
the CLI) from ``ENCLAVE_*`` environment variables and an optional TOML file
(``ENCLAVE_CONFIG``, default ``./enclave.toml``). Each library gets its slice
through the ``*_config()`` methods; nothing else reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from inference.catalogue import build_catalogue
from inference.config import InferenceConfig, parse_endpoints
from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    ParsingConfig,
    RerankConfig,
    SearchConfig,
    StoreConfig,
)

__all__ = ["EnclaveSettings", "get_settings", "reset_settings_cache"]

ENV_PREFIX = "ENCLAVE_"
CONFIG_FILE_VARIABLE = f"{ENV_PREFIX}CONFIG"
# Documents the embedded worker indexes at once: while one is embedded the others
# parse, and small documents' chunks share one length-sorted encode call.
EMBEDDED_WORKER_THREADS = 4


# The reference's sections (docs/configuration.md): a title, a sentence, and the first
# field of the section; a section runs to the next one's first field.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("Site", "", "home"),
    ("Database, broker and worker", "", "database_url"),
    ("Vector store", "", "qdrant_url"),
    ("Embedding", "", "embedding_model_dir"),
    ("Ingestion", "", "ingest_overlap"),
    ("Search", "", "search_limit"),
    ("Language models", "No endpoint configured: answers are extractive.", "llm_endpoints"),
    ("Answers", "", "answer_min_score"),
    (
        "Sign-in and sessions",
        "OpenID Connect and LDAP are described in [web.md](web.md#sign-in).",
        "secure_cookies",
    ),
)


class EnclaveSettings(BaseSettings):
    """Every knob of an Enclave process; the defaults need no server at all."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    # --- site -----------------------------------------------------------
    home: Path = Field(
        Path("var"),
        description="Directory for the embedded database, broker, index, uploads and the "
        "generated secret key.",
    )
    debug: bool = Field(False, description="Django debug pages (never in production).")
    secret_key: SecretStr | None = Field(
        None,
        description="Django secret key; generated under home in embedded mode, required with "
        "`ENCLAVE_DATABASE_URL`.",
    )
    allowed_hosts: list[str] = Field(
        ["127.0.0.1", "localhost"], description="Host names the site answers to."
    )
    csrf_trusted_origins: list[str] = Field(
        [], description='Origins trusted for form posts, e.g. `["https://enclave.example.com"]`.'
    )
    admin_username: str = Field("admin", description="The first admin, created on first start.")
    admin_password: SecretStr | None = Field(
        None, description="Password of the first admin; generated and printed when unset."
    )
    host: str = Field("127.0.0.1", description="Address `enclave serve` listens on.")
    port: int = Field(8000, description="Port `enclave serve` listens on.")

    # --- database, broker, worker ----------------------------------------
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL, e.g. `postgresql://enclave:pw@db:5432/enclave`; "
        "SQLite under home when unset.",
    )
    broker_url: SecretStr | None = Field(
        None,
        description="Redis, e.g. `redis://redis:6379/0`, then run `enclave worker` processes; "
        "an embedded SQLite broker under home when unset.",
    )
    worker_concurrency: int | None = Field(
        None,
        description="Ingestion tasks per worker; unset: 4 threads in the embedded worker "
        "(they share one embedding batcher, so their chunks are encoded together), "
        "1 process in `enclave worker`.",
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

    # --- vector store ----------------------------------------------------
    qdrant_url: str | None = Field(
        None,
        description="A Qdrant server or cluster through `qdrant-client`; "
        "embedded Qdrant Edge under home when unset.",
    )
    qdrant_api_key: SecretStr | None = Field(None, description="API key of the Qdrant server.")
    qdrant_collection: str = Field(
        "enclave_chunks", description="Collection name in Qdrant (index builds add a suffix)."
    )
    edge_search_threads: int = Field(
        1,
        ge=1,
        description="Threads of Qdrant Edge's search pool; a query holds Python's GIL while "
        "the pool works, so under concurrent questions one thread is fastest "
        "([performance.md](performance.md)).",
    )

    # --- embedding -------------------------------------------------------
    embedding_model_dir: Path | None = Field(
        None,
        description="A local sentence-transformers model directory (never a hub id); unset: "
        "the packaged all-MiniLM-L6-v2. Changing it rebuilds the index in the background at "
        "the next `enclave serve` "
        "([operations.md](operations.md#re-indexing-and-model-switches)).",
    )
    embedding_batch_size: int = Field(32, description="Chunks per embedding batch.")
    models_dir: Path | None = Field(
        None,
        description="Where the int8 export is cached; unset: home/models. Processes sharing "
        "it (web, workers) export once.",
    )
    # onnx-int8 by default: SciFact nDCG@10 within 0.005 of torch fp32 (issue 3's bar),
    # about twice the CPU throughput; see ops/bench/results/embedding.md.
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description="`onnx-int8` (CPU: ONNX export with int8 weights run by onnxruntime) or "
        "`torch` (fp32 as shipped); an index only accepts the model and backend that built it "
        "([operations.md](operations.md#embedding-backends-and-the-int8-export)).",
    )
    torch_threads: int | None = Field(
        None,
        description="CPU threads for embedding and reranking; unset: the cores minus one "
        "(room for the web process).",
    )

    # --- ingestion -------------------------------------------------------
    ingest_overlap: bool = Field(
        True,
        description="Parse the next documents while chunks are embedded (on the core torch "
        "leaves free); false on a CPU that other work keeps busy (parsing threads then slow "
        "the encoder).",
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
    sync_folders: dict[str, Path] = Field(
        default_factory=dict,
        description='`{"COLLECTION": "/folder"}`: folders kept in sync by the periodic task '
        "([operations.md](operations.md#folder-sync)).",
    )
    sync_interval_s: int = Field(300, description="Seconds between folder sync passes.")

    # --- search ----------------------------------------------------------
    search_limit: int = Field(6, description="Passages given to the answer.")
    search_fusion: Literal["rrf", "dbsf", "minmax"] = Field(
        SearchConfig.fusion,
        description="How the dense and BM25 arms are fused, chosen across every evaluation set "
        "([retrieval.md](retrieval.md)).",
    )
    search_dense_weight: float = Field(
        SearchConfig.dense_weight, description="Weight of the dense (meaning) arm in the fusion."
    )
    search_sparse_weight: float = Field(
        SearchConfig.sparse_weight, description="Weight of the BM25 (words) arm in the fusion."
    )
    search_rrf_k: int = Field(
        SearchConfig.rrf_k, description="The k of reciprocal rank fusion (`rrf` only)."
    )
    search_candidates: int = Field(
        SearchConfig.candidates, description="Candidates each arm brings to the fusion."
    )
    search_uncovered_dense_weight: float = Field(
        SearchConfig.uncovered_dense_weight,
        description="Dense-arm weight for a query in a language the embedding model does not "
        "cover: BM25 leads, dense breaks ties.",
    )
    search_uncovered_rrf_k: int = Field(
        SearchConfig.uncovered_rrf_k,
        description="The k of reciprocal rank fusion for such a query.",
    )
    search_relevance_min_dense: float = Field(
        SearchConfig.relevance_min_dense,
        description="Relevance gate: cosine similarity at which a passage counts as relevant "
        'by meaning; none left means "not found"; calibrated for the packaged model '
        "([retrieval.md](retrieval.md#the-relevance-gate)).",
    )
    search_relevance_min_coverage: float = Field(
        SearchConfig.relevance_min_coverage,
        description="Relevance gate: share of the question's BM25 terms at which a passage "
        "found by BM25 counts as relevant by its words.",
    )
    search_max_per_document: int = Field(
        SearchConfig.max_per_document, description="Passages one document may give an answer."
    )
    search_merge_adjacent: bool = Field(
        SearchConfig.merge_adjacent,
        description="Join neighbouring chunks of a section into one passage.",
    )
    search_embedding_languages: list[str] | None = Field(
        None,
        description='Languages (ISO 639-1) the embedding model covers, e.g. `["en","pt"]`; '
        "unset: guessed from the model's name.",
    )
    search_rerank_model_dir: Path | None = Field(
        None,
        description="A local sentence-transformers CrossEncoder directory; reranking is off "
        "when unset.",
    )
    search_rerank_candidates: int = Field(
        RerankConfig.candidates, description="Passages the reranker reorders."
    )

    # --- language models -------------------------------------------------
    llm_endpoints: str = Field(
        "",
        description="`BASE_URL|MODEL[|WEIGHT]`, comma-separated (vLLM replicas or llama.cpp "
        '`llama-server`), or a JSON list of `{"base_url", "model", "weight", "api_key"}`; '
        "empty: extractive answers.",
    )
    llm_models: str = Field(
        "",
        description="JSON model catalogue `{MODEL: {kind, tier, description, endpoints, "
        "context_tokens, max_answer_tokens}}`; replicas in `ENCLAVE_LLM_ENDPOINTS` with the "
        "same MODEL join it ([llm.md](llm.md), "
        "[answers.md](answers.md#backends-kinds-and-capabilities)).",
    )
    llm_default_model: str = Field(
        "", description="Model for simple questions; empty: the first small-tier model."
    )
    llm_context_tokens: int = Field(
        8192, description="Prompt budget; set to the server's `--max-model-len`."
    )
    llm_max_answer_tokens: int = Field(512, description="Longest answer, in tokens.")
    llm_connect_timeout_s: float = Field(
        3.0, description="Seconds to connect to a replica (no hang when replicas are down)."
    )
    llm_first_token_timeout_s: float = Field(
        20.0, description="Seconds to wait for an answer's first token."
    )
    llm_request_timeout_s: float = Field(60.0, description="Seconds one whole answer may take.")
    llm_hard_question_words: int = Field(
        40, description="Questions this long (in words) go to the large tier."
    )
    llm_replica_cooloff_s: float = Field(
        10.0, description="How long a failed replica rests before it is tried again."
    )
    llm_health_interval_s: float = Field(
        10.0,
        ge=0,
        description="Seconds between active health checks of every replica (`GET /health`, "
        "`GET /v1/models`); 0 turns them off.",
    )
    llm_rewrite_follow_ups: bool = Field(
        True,
        description='Rewrite follow-up questions ("and in 2023?") with the model before retrieval.',
    )

    # --- answers ---------------------------------------------------------
    answer_min_score: float | None = Field(
        None,
        description="A fixed floor on the fused search score replacing the relevance gate "
        "(`ENCLAVE_SEARCH_RELEVANCE_MIN_*`); unset: the gate.",
    )
    answer_support_check: bool = Field(
        True,
        description="Judge meaning with the embedding model (not only words) when choosing "
        "extractive sentences and checking that each answer sentence is supported "
        "([answers.md](answers.md)).",
    )
    answer_support_min_similarity: float = Field(
        0.45,
        description="Support (0-1, mean of shared words and embedding similarity) from which "
        "a passage backs an answer sentence; under it for every passage: unsupported.",
    )

    # --- sign-in and session security (webapp/sso) ----------------------
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
    oidc_client_id: str = Field(
        "",
        description="OpenID Connect is on when set; register `https://HOST/oidc/callback/` "
        "at the provider.",
    )
    oidc_client_secret: SecretStr | None = Field(None, description="The client's secret.")
    oidc_authorization_endpoint: str = Field(
        "",
        description="The provider's authorization endpoint (from its "
        "`/.well-known/openid-configuration`).",
    )
    oidc_token_endpoint: str = Field("", description="The provider's token endpoint.")
    oidc_userinfo_endpoint: str = Field("", description="The provider's userinfo endpoint.")
    oidc_jwks_endpoint: str = Field("", description="The provider's signing keys (JWKS).")
    oidc_sign_algo: str = Field("RS256", description="ID token signing algorithm.")
    oidc_scopes: str = Field("openid email profile", description="Scopes asked for.")
    oidc_username_claim: str = Field("preferred_username", description="Claim giving the username.")
    oidc_groups_claim: str = Field("groups", description="Claim giving the user's groups.")
    oidc_group_map: dict[str, str] = Field(
        default_factory=dict,
        description='`{"IdP group": "Enclave group"}`; empty: IdP group names are used as-is.',
    )
    oidc_admin_groups: list[str] = Field(
        default_factory=list, description="IdP groups whose members are Enclave admins."
    )
    oidc_button_label: str = Field(
        "Sign in with single sign-on", description="The sign-in page's button."
    )
    ldap_server_uri: str = Field(
        "", description="e.g. `ldaps://ad.example.com`; LDAP is on when set."
    )
    ldap_bind_dn: str = Field("", description="The service account used to find users.")
    ldap_bind_password: SecretStr | None = Field(
        None, description="The service account's password."
    )
    ldap_start_tls: bool = Field(
        False, description="Upgrade an `ldap://` connection with StartTLS."
    )
    ldap_user_search_base: str = Field(
        "", description="Where users are, e.g. `ou=people,dc=example,dc=com`."
    )
    ldap_user_filter: str = Field(
        "(uid=%(user)s)", description="Active Directory: `(sAMAccountName=%(user)s)`."
    )
    ldap_group_search_base: str = Field("", description="Where groups are.")
    ldap_group_type: str = Field(
        "groupOfNames",
        description="`groupOfNames`, `groupOfUniqueNames`, `posixGroup` or `activeDirectory`.",
    )
    ldap_group_map: dict[str, str] = Field(
        default_factory=dict,
        description='`{"LDAP group cn": "Enclave group"}`; empty: LDAP names as-is.',
    )
    ldap_admin_groups: list[str] = Field(
        default_factory=list, description="LDAP groups (cn) whose members are Enclave admins."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        # An address or a network each; "*" (trust everyone) would reopen the spoofing.
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {entry!r}") from None
        return [entry.strip() for entry in value]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order: constructor arguments, environment, then the TOML file."""
        toml_file = Path(os.environ.get(CONFIG_FILE_VARIABLE, "enclave.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_file)
        return (init_settings, env_settings, toml)

    @classmethod
    def reference_sections(cls) -> Iterator[tuple[str, str, list[tuple[str, FieldInfo]]]]:
        """Sections of the reference: title, sentence, (variable, field) in order."""
        names = list(cls.model_fields)
        starts = [names.index(first) for _, _, first in _SECTIONS] + [len(names)]
        for (title, intro, _), start, end in zip(_SECTIONS, starts, starts[1:], strict=False):
            fields = [(f"{ENV_PREFIX}{n.upper()}", cls.model_fields[n]) for n in names[start:end]]
            yield title, intro, fields

    # --- derived facts -------------------------------------------------

    @property
    def embedded(self) -> bool:
        """True when the web process must also own the index and run the worker."""
        return self.qdrant_url is None

    @property
    def home_dir(self) -> Path:
        """Absolute home directory, created on first use."""
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def models_dir_or_default(self) -> Path:
        """Where exported embedding models are cached: models_dir, or home/models."""
        if self.models_dir is not None:
            return self.models_dir.expanduser().resolve()
        return self.home_dir / "models"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded originals are kept until their document is deleted."""
        path = self.home_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def database_url_or_default(self) -> str:
        """The database URL, SQLite under home/ by default."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home_dir / 'enclave.sqlite3'}"

    def broker_url_or_default(self) -> str:
        """The Celery broker URL, a SQLite file under home/ by default."""
        if self.broker_url is not None:
            return self.broker_url.get_secret_value()
        return f"sqla+sqlite:///{self.home_dir / 'broker.sqlite3'}"

    def secret_key_value(self) -> str:
        """The Django secret key; only embedded mode may generate one."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.database_url is not None:
            raise ValueError("ENCLAVE_SECRET_KEY must be set when ENCLAVE_DATABASE_URL is set")
        key_file = self.home_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def embedded_worker_threads(self) -> int:
        """Threads of the in-process worker: configured, or 4 documents in flight at once."""
        return self.worker_concurrency or EMBEDDED_WORKER_THREADS

    def effective_torch_threads(self) -> int:
        """Threads for torch: configured, or one less than the cores (web shares the machine)."""
        if self.torch_threads:
            return self.torch_threads
        return max(1, (os.cpu_count() or 2) - 1)

    # --- slices handed to the libraries ---------------------------------

    def embedding_config(self) -> EmbeddingConfig:
        """Embedding slice for ``retrieval``."""
        return EmbeddingConfig(
            model_dir=self.embedding_model_dir,
            batch_size=self.embedding_batch_size,
            threads=self.effective_torch_threads(),
            backend=self.embedding_backend,
            cache_dir=self.models_dir_or_default,
            languages=tuple(self.search_embedding_languages)
            if self.search_embedding_languages
            else None,
        )

    def chunking_config(self) -> ChunkingConfig:
        """Chunking slice for ``retrieval``."""
        return ChunkingConfig(
            chunk_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap_tokens
        )

    def parsing_config(self) -> ParsingConfig:
        """Parsing slice for ``retrieval``."""
        return ParsingConfig(
            max_file_bytes=self.max_upload_mb * 1024 * 1024,
            max_unzipped_bytes=self.max_unzipped_mb * 1024 * 1024,
            max_part_bytes=self.parse_max_part_mb * 1024 * 1024,
            isolate=self.parse_isolation,
            max_parse_memory_bytes=self.parse_max_memory_mb * 1024 * 1024,
            max_parse_cpu_s=self.parse_max_cpu_s,
            max_parse_wall_s=float(self.parse_timeout_s),
        )

    def search_config(self) -> SearchConfig:
        """Search slice for ``retrieval``."""
        return SearchConfig(
            dense_weight=self.search_dense_weight,
            sparse_weight=self.search_sparse_weight,
            uncovered_dense_weight=self.search_uncovered_dense_weight,
            uncovered_rrf_k=self.search_uncovered_rrf_k,
            candidates=self.search_candidates,
            rrf_k=self.search_rrf_k,
            fusion=self.search_fusion,
            max_per_document=self.search_max_per_document,
            merge_adjacent=self.search_merge_adjacent,
            relevance_min_dense=self.search_relevance_min_dense,
            relevance_min_coverage=self.search_relevance_min_coverage,
        )

    def rerank_config(self) -> RerankConfig:
        """Reranking slice for ``retrieval``; off when no model directory is set."""
        return RerankConfig(
            model_dir=self.search_rerank_model_dir,
            candidates=self.search_rerank_candidates,
            threads=self.effective_torch_threads(),
        )

    def store_config(self) -> StoreConfig:
        """Vector store slice: Qdrant Edge under home/ or a Qdrant server."""
        if self.qdrant_url:
            api_key = self.qdrant_api_key.get_secret_value() if self.qdrant_api_key else None
            return StoreConfig(
                kind="server",
                url=self.qdrant_url,
                api_key=api_key,
                collection=self.qdrant_collection,
            )
        return StoreConfig(
            kind="edge",
            path=self.home_dir / "qdrant-edge",
            collection=self.qdrant_collection,
            edge_search_threads=self.edge_search_threads,
        )

    def inference_config(self) -> InferenceConfig:
        """LLM slice for ``inference``; no endpoints means extractive answers."""
        endpoints = parse_endpoints(self.llm_endpoints) if self.llm_endpoints.strip() else ()
        return InferenceConfig(
            endpoints=endpoints,
            request_timeout_s=self.llm_request_timeout_s,
            connect_timeout_s=self.llm_connect_timeout_s,
            first_token_timeout_s=self.llm_first_token_timeout_s,
            context_tokens=self.llm_context_tokens,
            max_answer_tokens=self.llm_max_answer_tokens,
            replica_cooloff_s=self.llm_replica_cooloff_s,
            health_interval_s=self.llm_health_interval_s,
            models=build_catalogue(endpoints, self.llm_models),
            default_model=self.llm_default_model,
            rewrite_follow_ups=self.llm_rewrite_follow_ups,
            hard_question_words=self.llm_hard_question_words,
        )


@lru_cache(maxsize=1)
def get_settings(**overrides: Any) -> EnclaveSettings:
    """The process-wide settings object, built on first use."""
    return EnclaveSettings(**overrides)


def reset_settings_cache() -> None:
    """Forget the cached settings (tests and the CLI's --home option)."""
    get_settings.cache_clear()
