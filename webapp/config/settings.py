"""The one typed settings object of Enclave (Django-free).

Built once per process by a composition root (Django settings, the Celery app,
the CLI) from ``ENCLAVE_*`` environment variables and an optional TOML file
(``ENCLAVE_CONFIG``, default ``./enclave.toml``). Settings sit in sections per
area (``settings.search.dense_weight``; see ``sections.py``) while each keeps its
flat variable (``ENCLAVE_SEARCH_DENSE_WEIGHT``); constructor arguments and the TOML
file take either the flat name (``search_dense_weight``) or the section. Each
library gets its slice through the ``*_config()`` methods; nothing else reads the
environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
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
from retrieval.relevance import with_calibrated_gate
from webapp.config.sections import (
    ENV_PREFIX,
    AnswerSettings,
    EmbeddingSettings,
    IngestionSettings,
    LdapSettings,
    LlmSettings,
    MetricsSettings,
    OidcSettings,
    SearchSettings,
    SignInSettings,
    StoreSettings,
    UsageSettings,
    WorkerSettings,
    env_name,
)

__all__ = ["ENV_PREFIX", "EnclaveSettings", "get_settings", "reset_settings_cache"]

CONFIG_FILE_VARIABLE = f"{ENV_PREFIX}CONFIG"
# Documents the embedded worker indexes at once: while one is embedded the others
# parse, and small documents' chunks share one length-sorted encode call.
EMBEDDED_WORKER_THREADS = 4


def default_home() -> Path:
    """The per-user data directory: an absolute path, so every command finds one installation."""
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser().resolve() / "enclave"


class EnclaveSettings(BaseSettings):
    """Site.

    Where the site keeps its data, answers and is first administered; the defaults
    need no server at all.
    """

    # A misconfigured secret (a password inline, a bad URL with one in it) is not echoed back.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(
        default_factory=lambda: default_home(),
        json_schema_extra={"reference_default": "$XDG_DATA_HOME/enclave"},
        description="Directory for the embedded database, broker, index, uploads and the "
        "generated secret key; by default $XDG_DATA_HOME/enclave (~/.local/share/enclave), "
        "the same from any working directory.",
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
        None,
        description="Password of the first admin; when unset, generated and written to "
        "`<home>/first-admin-password` (mode 0600; the log shows only the path).",
    )
    host: str = Field("127.0.0.1", description="Address `enclave serve` listens on.")
    port: int = Field(8000, description="Port `enclave serve` listens on.")
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL, e.g. `postgresql://enclave:pw@db:5432/enclave`; "
        "SQLite under home when unset.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines on stderr: `text` for a terminal, `json` (one object per line "
        "with time, level, logger, message, request_id) for a log collector "
        "([operations.md](operations.md#terminal-output-and-logs)).",
    )

    worker: WorkerSettings = WorkerSettings()
    store: StoreSettings = StoreSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    ingestion: IngestionSettings = IngestionSettings()
    search: SearchSettings = SearchSettings()
    llm: LlmSettings = LlmSettings()
    answer: AnswerSettings = AnswerSettings()
    sign_in: SignInSettings = SignInSettings()
    oidc: OidcSettings = OidcSettings()
    ldap: LdapSettings = LdapSettings()
    metrics: MetricsSettings = MetricsSettings()
    usage: UsageSettings = UsageSettings()

    def __init__(self, **values: Any) -> None:
        # Flat names (search_dense_weight=...) as well as sections (search={...}).
        super().__init__(**nest(values))

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
        return (init_settings, _FlatEnvironment(), _FlatToml(settings_cls, toml_file=toml_file))

    @classmethod
    def reference_sections(cls) -> Iterator[tuple[str, str, list[tuple[str, FieldInfo]]]]:
        """Sections of the reference: title, sentence, (variable, field) in order."""
        attributes = {f.annotation: n for n, f in cls.model_fields.items() if _is_section(f)}
        for owner, fields in _sections(cls):
            title, _, intro = (owner.__doc__ or "").strip().partition("\n")
            section = owner if owner is not cls else None
            rows = [(env_name(section, name, field), field) for name, field in fields.items()]
            where = f"In Python: `settings.{attributes[owner]}`." if section else ""
            yield title.rstrip("."), " ".join(filter(None, [intro.strip(), where])), rows

    # --- derived facts -------------------------------------------------

    @property
    def embedded(self) -> bool:
        """True when the web process must also own the index and run the worker."""
        return self.store.url is None

    @property
    def home_dir(self) -> Path:
        """Absolute home directory, created on first use."""
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def models_dir_or_default(self) -> Path:
        """Where exported embedding models are cached: models_dir, or home/models."""
        if self.embedding.models_dir is not None:
            return self.embedding.models_dir.expanduser().resolve()
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
        if self.worker.broker_url is not None:
            return self.worker.broker_url.get_secret_value()
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
        return self.worker.concurrency or EMBEDDED_WORKER_THREADS

    def effective_torch_threads(self) -> int:
        """Threads for torch: configured, or one less than the cores (web shares the machine)."""
        if self.embedding.torch_threads:
            return self.embedding.torch_threads
        return max(1, (os.cpu_count() or 2) - 1)

    # --- slices handed to the libraries ---------------------------------

    def embedding_model_source(self) -> str | Path:
        """The configured model: a packaged model's name, or a local directory."""
        if self.embedding.model_dir is not None:
            return self.embedding.model_dir.expanduser().resolve()
        if self.embedding.model in PACKAGED_MODELS:
            return self.embedding.model
        return Path(self.embedding.model).expanduser().resolve()

    def embedding_config(self) -> EmbeddingConfig:
        """Embedding slice for ``retrieval``."""
        source = self.embedding_model_source()
        return EmbeddingConfig(
            model=source if isinstance(source, str) else EmbeddingConfig.model,
            model_dir=source if isinstance(source, Path) else None,
            batch_size=self.embedding.batch_size,
            threads=self.effective_torch_threads(),
            backend=self.embedding.backend,
            cache_dir=self.models_dir_or_default,
            languages=tuple(self.search.embedding_languages)
            if self.search.embedding_languages
            else None,
        )

    def chunking_config(self) -> ChunkingConfig:
        """Chunking slice for ``retrieval``."""
        return ChunkingConfig(
            chunk_tokens=self.ingestion.chunk_tokens,
            overlap_tokens=self.ingestion.chunk_overlap_tokens,
        )

    def parsing_config(self) -> ParsingConfig:
        """Parsing slice for ``retrieval``."""
        return ParsingConfig(
            max_file_bytes=self.ingestion.max_upload_mb * 1024 * 1024,
            max_unzipped_bytes=self.ingestion.max_unzipped_mb * 1024 * 1024,
            max_part_bytes=self.ingestion.parse_max_part_mb * 1024 * 1024,
            isolate=self.ingestion.parse_isolation,
            max_parse_memory_bytes=self.ingestion.parse_max_memory_mb * 1024 * 1024,
            max_parse_cpu_s=self.ingestion.parse_max_cpu_s,
            max_parse_wall_s=float(self.ingestion.parse_timeout_s),
            ocr=self.ingestion.ocr is not False,
            ocr_command=self.ingestion.ocr_command,
            ocr_languages=self.ingestion.ocr_languages,
            ocr_max_pages=self.ingestion.ocr_max_pages,
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
            dense_weight=self.search.dense_weight,
            sparse_weight=self.search.sparse_weight,
            uncovered_dense_weight=self.search.uncovered_dense_weight,
            uncovered_rrf_k=self.search.uncovered_rrf_k,
            candidates=self.search.candidates,
            rrf_k=self.search.rrf_k,
            fusion=self.search.fusion,
            max_per_document=self.search.max_per_document,
            merge_adjacent=self.search.merge_adjacent,
            relevance_min_dense=self.search.relevance_min_dense,
            relevance_min_coverage=self.search.relevance_min_coverage,
        )
        return with_calibrated_gate(config, model_name or self.embedding_model_name())

    def rerank_config(self) -> RerankConfig:
        """Reranking slice for ``retrieval``; off when no model directory is set."""
        return RerankConfig(
            model_dir=self.search.rerank_model_dir,
            candidates=self.search.rerank_candidates,
            threads=self.effective_torch_threads(),
        )

    def store_config(self) -> StoreConfig:
        """Vector store slice: Qdrant Edge under home/ or a Qdrant server."""
        if self.store.url:
            api_key = self.store.api_key.get_secret_value() if self.store.api_key else None
            return StoreConfig(
                kind="server",
                url=self.store.url,
                api_key=api_key,
                collection=self.store.collection,
            )
        return StoreConfig(
            kind="edge",
            path=self.home_dir / "qdrant-edge",
            collection=self.store.collection,
            edge_search_threads=self.store.edge_search_threads,
        )

    def inference_config(self) -> InferenceConfig:
        """LLM slice for ``inference``; no endpoints means extractive answers."""
        endpoints = parse_endpoints(self.llm.endpoints) if self.llm.endpoints.strip() else ()
        return InferenceConfig(
            endpoints=endpoints,
            request_timeout_s=self.llm.request_timeout_s,
            connect_timeout_s=self.llm.connect_timeout_s,
            first_token_timeout_s=self.llm.first_token_timeout_s,
            context_tokens=self.llm.context_tokens,
            max_answer_tokens=self.llm.max_answer_tokens,
            replica_cooloff_s=self.llm.replica_cooloff_s,
            health_interval_s=self.llm.health_interval_s,
            models=build_catalogue(endpoints, self.llm.models),
            default_model=self.llm.default_model,
            rewrite_follow_ups=self.llm.rewrite_follow_ups,
            hard_question_words=self.llm.hard_question_words,
        )


def _sections(
    cls: type[EnclaveSettings],
) -> list[tuple[type[BaseModel], dict[str, FieldInfo]]]:
    """The top level's own fields, then each section's."""
    own = {n: f for n, f in cls.model_fields.items() if not _is_section(f)}
    nested = [
        (f.annotation, f.annotation.model_fields)
        for f in cls.model_fields.values()
        if _is_section(f)
    ]
    return [(cls, own), *nested]


def _is_section(field: FieldInfo) -> bool:
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


@cache
def flat_names() -> dict[str, tuple[str | None, str, FieldInfo]]:
    """Each setting's flat name (its variable without ENCLAVE_, lower case): (section, field)."""
    names: dict[str, tuple[str | None, str, FieldInfo]] = {}
    sections = {f.annotation: n for n, f in EnclaveSettings.model_fields.items() if _is_section(f)}
    for owner, fields in _sections(EnclaveSettings):
        section = sections.get(owner)
        for name, field in fields.items():
            variable = env_name(owner if section else None, name, field)
            names[variable.removeprefix(ENV_PREFIX).lower()] = (section, name, field)
    return names


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flat names moved into their sections; section tables and other keys kept as they are."""
    nested: dict[str, Any] = {}
    flat = flat_names()
    for key, value in values.items():
        section, name, _ = flat.get(key.lower(), (None, key, None))
        if section is None:
            if isinstance(value, Mapping) and isinstance(nested.get(key), dict):
                nested[key].update(value)
            else:
                nested[key] = dict(value) if isinstance(value, Mapping) else value
        else:
            nested.setdefault(section, {})[name] = value
    return nested


@cache
def _flat_model() -> type[BaseSettings]:
    # The variables as one flat class, so pydantic-settings reads them as it always has
    # (case, JSON for lists and maps); the values are then nested and validated once.
    fields: dict[str, Any] = {
        flat: (field.annotation, None) for flat, (_, _, field) in flat_names().items()
    }
    return create_model("EnclaveEnvironment", __base__=_FlatBase, **fields)


class _FlatBase(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")


class _FlatEnvironment(EnvSettingsSource):
    """The ENCLAVE_* variables, read flat and nested into sections."""

    def __init__(self) -> None:
        super().__init__(_flat_model())

    def __call__(self) -> dict[str, Any]:
        return nest(super().__call__())


class _FlatToml(TomlConfigSettingsSource):
    """The TOML file; a key is a flat name or a section's table."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        return nest(super()._read_file(file_path))


@lru_cache(maxsize=1)
def get_settings(**overrides: Any) -> EnclaveSettings:
    """The process-wide settings object, built on first use."""
    return EnclaveSettings(**overrides)


def reset_settings_cache() -> None:
    """Forget the cached settings (tests and the CLI's --home option)."""
    get_settings.cache_clear()
