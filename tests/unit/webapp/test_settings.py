"""The typed settings object: defaults need no server, each variable switches one part."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from webapp.config.settings import EnclaveSettings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "BROKER_URL",
        "QDRANT_URL",
        "LLM_ENDPOINTS",
        "SECRET_KEY",
        "CONFIG",
        "EMBEDDING_BACKEND",
        "EMBEDDING_MODEL",
        "EMBEDDING_MODEL_DIR",
        "SEARCH_RELEVANCE_MIN_DENSE",
        "MODELS_DIR",
        "EDGE_SEARCH_THREADS",
        "USAGE_PRICES",
        "USAGE_CURRENCY",
    ):
        monkeypatch.delenv(f"ENCLAVE_{name}", raising=False)
    monkeypatch.setenv("ENCLAVE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_embedded(clean_env):
    settings = EnclaveSettings()
    home = clean_env / "home"
    assert settings.embedded is True
    assert settings.database_url_or_default() == f"sqlite:///{home / 'enclave.sqlite3'}"
    assert settings.broker_url_or_default() == f"sqla+sqlite:///{home / 'broker.sqlite3'}"
    assert settings.store_config().kind == "edge"
    assert settings.store_config().path == home / "qdrant-edge"
    assert settings.inference_config().endpoints == ()
    assert settings.debug is False
    assert settings.embedding_config().backend == "onnx-int8"
    assert settings.embedding_config().cache_dir == home / "models"


def test_each_variable_switches_one_part(clean_env, monkeypatch):
    monkeypatch.setenv("ENCLAVE_QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv(
        "ENCLAVE_LLM_ENDPOINTS", "http://gpu1:8000/v1|llama-8b,http://gpu2:8000/v1|llama-8b|2"
    )
    settings = EnclaveSettings()
    assert settings.store_config().kind == "server"
    assert settings.store_config().url == "http://qdrant:6333"
    endpoints = settings.inference_config().endpoints
    assert [(e.model, e.weight) for e in endpoints] == [("llama-8b", 1), ("llama-8b", 2)]
    assert settings.database_url_or_default().startswith("sqlite:///")


def test_embedding_backend_is_chosen_by_one_variable_with_a_shared_model_cache(
    clean_env, monkeypatch
):
    monkeypatch.setenv("ENCLAVE_EMBEDDING_BACKEND", "torch")
    assert EnclaveSettings().embedding_config().backend == "torch"

    monkeypatch.setenv("ENCLAVE_MODELS_DIR", str(clean_env / "shared-models"))
    assert EnclaveSettings().embedding_config().cache_dir == clean_env / "shared-models"

    monkeypatch.setenv("ENCLAVE_EMBEDDING_BACKEND", "onnx-fp16")
    with pytest.raises(ValidationError, match="embedding.backend"):
        EnclaveSettings()


def test_the_embedding_model_is_use_multilingual_unless_another_is_chosen(clean_env, monkeypatch):
    default = EnclaveSettings()
    assert (default.embedding_config().model, default.embedding_config().model_dir) == (
        "use-multilingual-v3",
        None,
    )
    assert default.embedding_model_name() == "use-multilingual-v3"

    monkeypatch.setenv("ENCLAVE_EMBEDDING_MODEL", "all-MiniLM-L6-v2")
    minilm = EnclaveSettings().embedding_config()
    assert (minilm.model, minilm.model_dir, minilm.backend) == (
        "all-MiniLM-L6-v2",
        None,
        "onnx-int8",
    )

    monkeypatch.setenv("ENCLAVE_EMBEDDING_MODEL", str(clean_env / "models" / "e5"))
    assert EnclaveSettings().embedding_config().model_dir == clean_env / "models" / "e5"
    assert EnclaveSettings().embedding_model_name() == "e5"

    # The directory variable replaces whatever ENCLAVE_EMBEDDING_MODEL names.
    monkeypatch.setenv("ENCLAVE_EMBEDDING_MODEL_DIR", str(clean_env / "models" / "bge"))
    assert EnclaveSettings().embedding_config().model_dir == clean_env / "models" / "bge"


def test_gate_thresholds_are_the_models_unless_set(clean_env, monkeypatch):
    use = EnclaveSettings().search_config()
    assert (use.relevance_min_dense, use.relevance_min_coverage) == (0.36, 0.55)
    minilm = EnclaveSettings().search_config(model_name="all-MiniLM-L6-v2")
    assert minilm.relevance_min_dense == 0.33

    monkeypatch.setenv("ENCLAVE_SEARCH_RELEVANCE_MIN_DENSE", "0.5")
    assert EnclaveSettings().search_config().relevance_min_dense == 0.5
    assert EnclaveSettings().search_config(model_name="all-MiniLM-L6-v2").relevance_min_dense == 0.5


def test_qdrant_edge_searches_on_one_thread_unless_told_otherwise(clean_env, monkeypatch):
    assert EnclaveSettings().store_config().edge_search_threads == 1

    monkeypatch.setenv("ENCLAVE_EDGE_SEARCH_THREADS", "4")
    assert EnclaveSettings().store_config().edge_search_threads == 4

    monkeypatch.setenv("ENCLAVE_EDGE_SEARCH_THREADS", "0")
    with pytest.raises(ValidationError, match="store.edge_search_threads"):
        EnclaveSettings()


def test_production_database_requires_a_secret_key(clean_env, monkeypatch):
    monkeypatch.setenv("ENCLAVE_DATABASE_URL", "postgresql://u:p@db/enclave")
    with pytest.raises(ValueError, match="ENCLAVE_SECRET_KEY"):
        EnclaveSettings().secret_key_value()


def test_embedded_secret_key_is_generated_once_and_kept(clean_env):
    first = EnclaveSettings().secret_key_value()
    assert len(first) > 40
    assert EnclaveSettings().secret_key_value() == first
    assert (Path(clean_env / "home" / "secret_key").stat().st_mode & 0o777) == 0o600


def test_toml_file_is_read_and_environment_wins(clean_env, monkeypatch):
    (clean_env / "enclave.toml").write_text("search_limit = 9\nport = 9000\n")
    monkeypatch.setenv("ENCLAVE_PORT", "9100")
    settings = EnclaveSettings()
    assert settings.search.limit == 9
    assert settings.port == 9100


def test_settings_are_frozen(clean_env):
    settings = EnclaveSettings()
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1


@pytest.mark.parametrize(
    ("variable", "value", "path", "expected"),
    [
        ("ENCLAVE_SEARCH_DENSE_WEIGHT", "0.4", "search.dense_weight", 0.4),
        ("ENCLAVE_TORCH_THREADS", "3", "embedding.torch_threads", 3),
        ("ENCLAVE_MODELS_DIR", "/srv/models", "embedding.models_dir", Path("/srv/models")),
        ("ENCLAVE_WORKER_CONCURRENCY", "2", "worker.concurrency", 2),
        ("ENCLAVE_INGEST_OVERLAP", "false", "ingestion.overlap", False),
        ("ENCLAVE_QDRANT_COLLECTION", "site_b", "store.collection", "site_b"),
        (
            "ENCLAVE_LLM_ENDPOINTS",
            "http://gpu1:8000/v1|llama",
            "llm.endpoints",
            "http://gpu1:8000/v1|llama",
        ),
        ("ENCLAVE_LDAP_GROUP_MAP", '{"staff": "Staff"}', "ldap.group_map", {"staff": "Staff"}),
        ("ENCLAVE_TRUSTED_PROXIES", '["10.0.0.0/8"]', "sign_in.trusted_proxies", ["10.0.0.0/8"]),
    ],
)
def test_each_variable_keeps_its_name_and_lands_in_its_section(
    clean_env, monkeypatch, variable, value, path, expected
):
    monkeypatch.setenv(variable, value)
    section, name = path.split(".")
    assert getattr(getattr(EnclaveSettings(), section), name) == expected


def test_toml_takes_flat_names_and_section_tables_and_arguments_take_flat_names(clean_env):
    (clean_env / "enclave.toml").write_text(
        "search_dense_weight = 0.5\n[llm]\nmax_answer_tokens = 256\n[search]\nlimit = 4\n"
    )
    settings = EnclaveSettings(secure_cookies=True)
    assert (settings.search.dense_weight, settings.search.limit) == (0.5, 4)
    assert settings.llm.max_answer_tokens == 256
    assert settings.sign_in.secure_cookies is True
    assert settings.search_config().dense_weight == 0.5
    assert settings.inference_config().max_answer_tokens == 256


def test_a_bad_value_names_the_setting(clean_env, monkeypatch):
    monkeypatch.setenv("ENCLAVE_TRUSTED_PROXIES", '["*"]')
    with pytest.raises(ValidationError, match="not an IP address or network"):
        EnclaveSettings()


def test_metrics_are_off_until_a_token_or_networks_are_set(clean_env, monkeypatch):
    assert EnclaveSettings().metrics.enabled is False
    monkeypatch.setenv("ENCLAVE_METRICS_ALLOWED_NETWORKS", '["10.0.5.0/24"]')
    assert EnclaveSettings().metrics.allowed_networks == ["10.0.5.0/24"]
    assert EnclaveSettings().metrics.enabled is True
    monkeypatch.delenv("ENCLAVE_METRICS_ALLOWED_NETWORKS")
    monkeypatch.setenv("ENCLAVE_METRICS_TOKEN", "x" * 16)
    assert EnclaveSettings().metrics.enabled is True


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ENCLAVE_METRICS_TOKEN", "x" * 15, "at least 16 characters"),
        ("ENCLAVE_METRICS_ALLOWED_NETWORKS", '["everyone"]', "not an IP address or network"),
    ],
)
def test_a_guessable_token_or_a_bad_network_stops_the_start(
    clean_env, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=message):
        EnclaveSettings()


def test_model_prices_come_from_json_or_a_toml_table_and_a_misspelt_key_fails(
    clean_env, monkeypatch
):
    (clean_env / "enclave.toml").write_text(
        '[usage]\ncurrency = "EUR"\n[usage.prices."llama-3.1-8b"]\n'
        "prompt_per_1k = 0.0004\ncompletion_per_1k = 0.0012\n"
    )
    from_toml = EnclaveSettings().usage
    monkeypatch.setenv("ENCLAVE_USAGE_PRICES", '{"llama-3.1-70b": {"gpu_hour": "2.50"}}')
    from_env = EnclaveSettings().usage
    monkeypatch.setenv("ENCLAVE_USAGE_PRICES", '{"llama-3.1-70b": {"gpu_hours": 2.5}}')

    assert from_toml.currency == "EUR"
    small = from_toml.prices["llama-3.1-8b"]
    assert (small.prompt_per_1k, small.completion_per_1k, small.gpu_hour) == (
        Decimal("0.0004"),
        Decimal("0.0012"),
        Decimal(0),
    )
    # The environment adds to the file's table, model by model.
    assert sorted(from_env.prices) == ["llama-3.1-70b", "llama-3.1-8b"]
    assert from_env.prices["llama-3.1-70b"].gpu_hour == Decimal("2.50")
    with pytest.raises(ValidationError, match="gpu_hours"):
        EnclaveSettings()
