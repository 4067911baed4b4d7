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
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from inference.catalogue import build_catalogue
from inference.config import InferenceConfig, parse_endpoints
from retrieval.config import (
    PACKAGED_MODELS,
    ChunkingConfig,
    EmbeddingConfig,
    ParsingConfig,
    RerankConfig,
    SearchConfig,
    StoreConfig,
)
from retrieval.fusion import FusionMethod
from retrieval.relevance import with_calibrated_gate

__all__ = ["EnclaveSettings", "get_settings", "reset_settings_cache"]

CONFIG_FILE_VARIABLE = "ENCLAVE_CONFIG"
# Documents the embedded worker indexes at once: while one is embedded the others
# parse, and small documents' chunks share one length-sorted encode call.
EMBEDDED_WORKER_THREADS = 4


class EnclaveSettings(BaseSettings):
    """Every knob of an Enclave process; the defaults need no server at all."""

    model_config = SettingsConfigDict(env_prefix="ENCLAVE_", frozen=True, extra="ignore")

    home: Path = Field(
        Path("var"), description="Directory for the embedded database, broker, index and uploads."
    )
    debug: bool = False
    secret_key: SecretStr | None = Field(
        None, description="Django secret key; generated under home/ in embedded mode."
    )
    allowed_hosts: list[str] = ["127.0.0.1", "localhost"]
    csrf_trusted_origins: list[str] = []
    admin_username: str = "admin"
    admin_password: SecretStr | None = Field(
        None, description="Password of the first admin; generated and printed when unset."
    )
    host: str = "127.0.0.1"
    port: int = 8000

    database_url: SecretStr | None = Field(
        None, description="PostgreSQL URL; SQLite under home/ when unset."
    )
    broker_url: SecretStr | None = Field(
        None, description="Redis URL; embedded SQLite broker when unset."
    )
    worker_concurrency: int | None = Field(
        None,
        description="Ingestion tasks per worker; default 4 threads in the embedded worker "
        "(their chunks are embedded together), 1 process in 'enclave worker'.",
    )
    queue_name: str = Field(
        "enclave",
        description="Broker queue; distinct names let several installations share one Redis.",
    )

    qdrant_url: str | None = Field(
        None, description="Qdrant server URL; embedded Qdrant Edge when unset."
    )
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "enclave_chunks"
    edge_search_threads: int = Field(
        1,
        ge=1,
        description="Threads of Qdrant Edge's search pool; 1 searches fastest under "
        "concurrent requests (a query holds Python's GIL while the pool works).",
    )

    embedding_model: str = Field(
        EmbeddingConfig.model,
        description="use-multilingual-v3 (packaged; English and Portuguese, also across "
        "languages), all-MiniLM-L6-v2 (packaged; English) or a local sentence-transformers "
        "directory. A change rebuilds the index in the background at the next start.",
    )
    embedding_model_dir: Path | None = Field(
        None,
        description="Local sentence-transformers model directory; replaces embedding_model.",
    )
    embedding_batch_size: int = 32
    models_dir: Path | None = Field(
        None,
        description="Cache of exported embedding models (default home/models); processes "
        "sharing it export once.",
    )
    # onnx-int8 by default: SciFact nDCG@10 within 0.005 of torch fp32 (issue 3's bar),
    # about twice the CPU throughput; see ops/bench/results/embedding.md.
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description="For sentence-transformers models (MiniLM, a directory): onnx-int8 (CPU, "
        "exported once into models_dir) or torch (fp32); use-multilingual-v3 runs on numpy. "
        "An index must be searched with the backend that built it.",
    )
    ingest_overlap: bool = Field(
        True,
        description="Parse documents while chunks are embedded, on the core torch leaves free; "
        "turn off when other work keeps every core busy (parsing threads then slow the encoder).",
    )
    torch_threads: int | None = Field(
        None,
        description="CPU threads for embedding (torch, onnxruntime or numpy's BLAS) and "
        "reranking; default leaves a core free.",
    )
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 30
    max_upload_mb: int = 200
    max_unzipped_mb: int = Field(
        1024, description="DOCX/PPTX/XLSX that would unpack to more fail (decompression bombs)."
    )
    parse_max_part_mb: int = Field(
        64,
        ge=1,
        description="Largest unpacked XML part of a DOCX/PPTX/XLSX (e.g. word/document.xml).",
    )
    parse_isolation: bool = Field(
        True,
        description="Parse each document in a child process under the limits below; off: "
        "in the worker's own process, unbounded.",
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
        description='JSON {"COLLECTION": "/folder"}: folders kept in sync by the periodic task.',
    )
    sync_interval_s: int = 300

    search_limit: int = 6
    search_dense_weight: float = SearchConfig.dense_weight
    search_sparse_weight: float = SearchConfig.sparse_weight
    search_uncovered_dense_weight: float = Field(
        SearchConfig.uncovered_dense_weight,
        description="Dense-arm weight for queries in a language the embedding model lacks.",
    )
    search_uncovered_rrf_k: int = SearchConfig.uncovered_rrf_k
    search_candidates: int = SearchConfig.candidates
    search_rrf_k: int = SearchConfig.rrf_k
    search_fusion: FusionMethod = Field(
        SearchConfig.fusion,
        description="How the dense and BM25 arms are fused (see docs/retrieval.md).",
    )
    search_relevance_min_dense: float | None = Field(
        SearchConfig.relevance_min_dense,
        description="Relevance gate: cosine similarity at which a passage counts as relevant "
        "by meaning; unset: the value calibrated for the embedding model.",
    )
    search_relevance_min_coverage: float | None = Field(
        SearchConfig.relevance_min_coverage,
        description="Relevance gate: share of the question's BM25 terms at which a passage "
        "found by BM25 counts as relevant by its words; unset: calibrated per model.",
    )
    search_max_per_document: int = SearchConfig.max_per_document
    search_merge_adjacent: bool = SearchConfig.merge_adjacent
    search_embedding_languages: list[str] | None = Field(
        None,
        description="Languages (ISO 639-1) the embedding model covers; guessed from its name.",
    )
    search_rerank_model_dir: Path | None = Field(
        None, description="Local CrossEncoder model directory; no reranking when unset."
    )
    search_rerank_candidates: int = RerankConfig.candidates

    llm_endpoints: str = Field(
        "", description="Comma-separated BASE_URL|MODEL[|WEIGHT] of OpenAI-compatible servers."
    )
    llm_request_timeout_s: float = 60.0
    llm_connect_timeout_s: float = 3.0
    llm_first_token_timeout_s: float = 20.0
    llm_context_tokens: int = 8192
    llm_max_answer_tokens: int = 512
    llm_models: str = Field(
        "",
        description="JSON catalogue {MODEL: {tier, description, endpoints, context_tokens, "
        "max_answer_tokens}}; replicas of ENCLAVE_LLM_ENDPOINTS with the same MODEL join it.",
    )
    llm_default_model: str = Field(
        "", description="Model for simple questions; default: the first small-tier model."
    )
    llm_hard_question_words: int = Field(
        40, description="Questions this long (in words) go to the large tier."
    )
    llm_replica_cooloff_s: float = 10.0
    llm_health_interval_s: float = Field(
        10.0, ge=0, description="Seconds between health checks of every LLM replica (0: off)."
    )
    llm_rewrite_follow_ups: bool = Field(
        True, description="Rewrite follow-up questions with the model before retrieval."
    )
    answer_min_score: float | None = Field(
        None,
        description="A fixed floor on the fused search score replacing the relevance gate "
        "(search_relevance_min_dense / _min_coverage); unset: the gate.",
    )
    answer_support_check: bool = Field(
        True,
        description="Judge meaning with the embedding model (not only words) when choosing "
        "extractive sentences and checking that each answer sentence is supported.",
    )
    answer_support_min_similarity: float = Field(
        0.45,
        description="Support (0-1, mean of shared words and embedding similarity) from which "
        "a passage backs an answer sentence; under it for every passage: unsupported.",
    )

    stalled_after_s: int = Field(
        300, description="A document with no progress for this long is requeued."
    )
    reconcile_interval_s: int = 60

    # --- sign-in and session security (webapp/sso) ----------------------
    secure_cookies: bool = Field(
        False, description="Session and CSRF cookies only over HTTPS (set when served over HTTPS)."
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
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='JSON list of proxy addresses or networks, e.g. ["127.0.0.1"]: only '
        "requests from these may set the client address and scheme (X-Forwarded-For/-Proto); "
        "empty: those headers are ignored.",
    )
    oidc_client_id: str = Field("", description="OpenID Connect client id; OIDC is on when set.")
    oidc_client_secret: SecretStr | None = None
    oidc_authorization_endpoint: str = ""
    oidc_token_endpoint: str = ""
    oidc_userinfo_endpoint: str = ""
    oidc_jwks_endpoint: str = ""
    oidc_sign_algo: str = "RS256"
    oidc_scopes: str = "openid email profile"
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = "groups"
    oidc_group_map: dict[str, str] = Field(
        default_factory=dict,
        description='JSON {"IdP group": "Enclave group"}; empty: IdP group names are used as-is.',
    )
    oidc_admin_groups: list[str] = Field(
        default_factory=list, description="IdP groups whose members are Enclave admins."
    )
    oidc_button_label: str = "Sign in with single sign-on"
    ldap_server_uri: str = Field(
        "", description="e.g. ldaps://ad.example.com; LDAP is on when set."
    )
    ldap_bind_dn: str = ""
    ldap_bind_password: SecretStr | None = None
    ldap_start_tls: bool = False
    ldap_user_search_base: str = ""
    ldap_user_filter: str = Field(
        "(uid=%(user)s)", description="Active Directory: (sAMAccountName=%(user)s)."
    )
    ldap_group_search_base: str = ""
    ldap_group_type: str = Field(
        "groupOfNames",
        description="groupOfNames, groupOfUniqueNames, posixGroup or activeDirectory.",
    )
    ldap_group_map: dict[str, str] = Field(
        default_factory=dict,
        description='JSON {"LDAP group cn": "Enclave group"}; empty: LDAP names as-is.',
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

    def embedding_model_source(self) -> str | Path:
        """The configured model: a packaged model's name, or a local directory."""
        if self.embedding_model_dir is not None:
            return self.embedding_model_dir.expanduser().resolve()
        if self.embedding_model in PACKAGED_MODELS:
            return self.embedding_model
        return Path(self.embedding_model).expanduser().resolve()

    def embedding_config(self) -> EmbeddingConfig:
        """Embedding slice for ``retrieval``."""
        source = self.embedding_model_source()
        return EmbeddingConfig(
            model=source if isinstance(source, str) else EmbeddingConfig.model,
            model_dir=source if isinstance(source, Path) else None,
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

    def embedding_model_name(self) -> str:
        """The configured model's name: a packaged one, or its directory's name."""
        source = self.embedding_model_source()
        return source if isinstance(source, str) else source.name

    def search_config(self, *, model_name: str | None = None) -> SearchConfig:
        """Search slice for ``retrieval``; gate thresholds left unset are ``model_name``'s.

        ``model_name`` None is the configured embedding model.
        """
        config = SearchConfig(
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
        return with_calibrated_gate(config, model_name or self.embedding_model_name())

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
