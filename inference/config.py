"""Typed configuration of the inference package (built by the composition roots)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from inference.catalogue import ModelSpec

# Headers for one outgoing request to a model server (asked for at each request).
RequestHeaders = Callable[[], Mapping[str, str]]


def normalize_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash and ending in ``/v1``."""
    cleaned = url.strip().rstrip("/")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"endpoint base URL must be an http(s) URL, got {url!r}")
    if not cleaned.endswith("/v1"):
        cleaned += "/v1"
    return cleaned


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI-compatible model server (a vLLM or llama.cpp replica)."""

    base_url: str
    model: str
    weight: int = 1
    api_key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalize_base_url(self.base_url))
        if not self.model.strip():
            raise ValueError(f"endpoint {self.base_url} has an empty model name")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or self.weight < 1:
            raise ValueError(
                f"endpoint {self.base_url} weight must be an integer >= 1, got {self.weight!r}"
            )

    def __repr__(self) -> str:
        key = "***" if self.api_key else None
        return (
            f"Endpoint(base_url={self.base_url!r}, model={self.model!r}, "
            f"weight={self.weight}, api_key={key!r})"
        )


@dataclass(frozen=True)
class InferenceConfig:
    """Everything the inference package needs; no field is read from the environment."""

    endpoints: tuple[Endpoint, ...] = ()
    request_timeout_s: float = 60.0
    connect_timeout_s: float = 3.0
    first_token_timeout_s: float = 20.0
    max_answer_tokens: int = 512
    temperature: float = 0.0
    context_tokens: int = 8192
    extractive_sentences: int = 3
    replica_cooloff_s: float = 10.0
    # Seconds between active health checks of every replica (0: passive ejection only).
    health_interval_s: float = 10.0
    # The catalogue; empty means "one model per distinct model name of ``endpoints``".
    models: tuple[ModelSpec, ...] = ()
    default_model: str = ""
    rewrite_follow_ups: bool = True
    hard_question_words: int = 40
    # Called at each request to a model server for headers to add, e.g. the caller's
    # request id (``X-Request-ID``) so the server's log lines can be matched with its own.
    request_headers: RequestHeaders | None = None

    def catalogue(self) -> tuple[ModelSpec, ...]:
        """The models to serve: ``models`` when given, else ``endpoints`` grouped by model."""
        from inference.catalogue import build_catalogue

        return self.models or build_catalogue(self.endpoints)


def parse_endpoints(spec: str) -> tuple[Endpoint, ...]:
    """Parse ENCLAVE_LLM_ENDPOINTS: ``URL|MODEL[|WEIGHT],...`` or a JSON list of objects."""
    text = spec.strip()
    if not text:
        return ()
    if text.startswith("["):
        return _parse_json_endpoints(text)
    return tuple(_parse_pipe_entry(entry) for entry in _split_entries(text))


def _split_entries(text: str) -> list[str]:
    entries = [entry.strip() for entry in text.split(",")]
    if any(not entry for entry in entries):
        raise ValueError(f"empty entry in LLM endpoint list {text!r}")
    return entries


def _parse_pipe_entry(entry: str) -> Endpoint:
    fields = [field.strip() for field in entry.split("|")]
    if len(fields) not in (2, 3):
        raise ValueError(
            f"bad LLM endpoint {entry!r}: expected 'BASE_URL|MODEL' or 'BASE_URL|MODEL|WEIGHT'"
        )
    weight = 1
    if len(fields) == 3:
        try:
            weight = int(fields[2])
        except ValueError:
            raise ValueError(
                f"bad LLM endpoint {entry!r}: weight {fields[2]!r} is not an integer"
            ) from None
    return Endpoint(base_url=fields[0], model=fields[1], weight=weight)


def _parse_json_endpoints(text: str) -> tuple[Endpoint, ...]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"LLM endpoint list is not valid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise ValueError("LLM endpoint JSON must be a list of objects")
    return tuple(_endpoint_from_object(item, index) for index, item in enumerate(items))


def _endpoint_from_object(item: Any, index: int) -> Endpoint:
    if not isinstance(item, dict):
        raise ValueError(f"LLM endpoint #{index} must be an object, got {type(item).__name__}")
    unknown = set(item) - {"base_url", "model", "weight", "api_key"}
    if unknown:
        raise ValueError(f"LLM endpoint #{index} has unknown keys: {sorted(unknown)}")
    base_url, model = item.get("base_url"), item.get("model")
    if not isinstance(base_url, str) or not isinstance(model, str):
        raise ValueError(f"LLM endpoint #{index} needs string 'base_url' and 'model'")
    api_key = item.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        raise ValueError(f"LLM endpoint #{index}: 'api_key' must be a string")
    return Endpoint(base_url=base_url, model=model, weight=item.get("weight", 1), api_key=api_key)
