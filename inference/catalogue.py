"""The model catalogue: named models, each a set of replicas, with a tier and a description.

Two settings feed it. ``ENCLAVE_LLM_ENDPOINTS`` lists replicas (``BASE_URL|MODEL[|WEIGHT]``);
replicas with the same MODEL are one model. The optional ``ENCLAVE_LLM_MODELS`` JSON
object describes models by name and may add replicas of its own. ``kind`` says which
backend serves a model (``inference.routing.BUILDERS``): ``openai`` (the default: an
OpenAI-compatible server such as vLLM or llama.cpp's ``llama-server``) or
``extractive`` (quotes from the passages, no endpoints)::

    {"llama-3.1-8b":  {"tier": "small", "description": "fast, simple questions"},
     "llama-3.1-70b": {"tier": "large", "description": "slow, hard questions",
                       "endpoints": ["http://gpu3:8000/v1", "http://gpu4:8000/v1|2"],
                       "context_tokens": 32768, "max_answer_tokens": 1024},
     "quotes":        {"kind": "extractive", "description": "no generation"}}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from inference.config import Endpoint, parse_endpoints

__all__ = ["KINDS", "TIERS", "ModelSpec", "build_catalogue"]

Tier = Literal["small", "large"]
TIERS: tuple[Tier, ...] = ("small", "large")
Kind = Literal["openai", "extractive"]
KINDS: tuple[Kind, ...] = ("openai", "extractive")
_KEYS = {"kind", "tier", "description", "endpoints", "context_tokens", "max_answer_tokens"}


@dataclass(frozen=True)
class ModelSpec:
    """One served model: its kind, replicas, tier (small = fast and cheap, large = accurate)."""

    name: str
    endpoints: tuple[Endpoint, ...]
    tier: Tier = "small"
    kind: Kind = "openai"
    description: str = ""
    context_tokens: int | None = None
    max_answer_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"model {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "openai" and not self.endpoints:
            raise ValueError(f"model {self.name!r} has no endpoints")
        if self.kind == "extractive" and self.endpoints:
            raise ValueError(f"model {self.name!r} is extractive: it takes no endpoints")
        if self.tier not in TIERS:
            raise ValueError(f"model {self.name!r}: tier must be one of {TIERS}, got {self.tier!r}")
        if any(endpoint.model != self.name for endpoint in self.endpoints):
            raise ValueError(f"model {self.name!r} has an endpoint serving another model")


def build_catalogue(endpoints: Sequence[Endpoint], models_json: str = "") -> tuple[ModelSpec, ...]:
    """Group replicas by model name and apply the JSON descriptions (order: first seen)."""
    described = _parse_models_json(models_json)
    grouped: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        grouped.setdefault(endpoint.model, []).append(endpoint)
    for name, options in described.items():
        grouped.setdefault(name, []).extend(_own_endpoints(name, options.get("endpoints", [])))
    return tuple(
        _spec(name, tuple(replicas), described.get(name, {})) for name, replicas in grouped.items()
    )


def _parse_models_json(text: str) -> dict[str, dict[str, Any]]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"LLM model catalogue is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError("LLM model catalogue must be a JSON object of {model name: {...}}")
    for name, options in data.items():
        unknown = set(options) - _KEYS
        if unknown:
            raise ValueError(f"LLM model {name!r} has unknown keys: {sorted(unknown)}")
    return data


def _own_endpoints(name: str, entries: Any) -> list[Endpoint]:
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ValueError(f"LLM model {name!r}: 'endpoints' must be a list of 'BASE_URL[|WEIGHT]'")
    replicas = []
    for entry in entries:
        url, _, weight = entry.partition("|")
        replicas += parse_endpoints(f"{url}|{name}" + (f"|{weight}" if weight else ""))
    return replicas


def _positive_int(name: str, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"LLM model {name!r}: {key!r} must be an integer >= 1")
    return value


def _spec(name: str, endpoints: tuple[Endpoint, ...], options: dict[str, Any]) -> ModelSpec:
    return ModelSpec(
        name=name,
        endpoints=endpoints,
        tier=options.get("tier", "small"),
        kind=options.get("kind", "openai"),
        description=str(options.get("description", "")),
        context_tokens=_positive_int(name, "context_tokens", options.get("context_tokens")),
        max_answer_tokens=_positive_int(
            name, "max_answer_tokens", options.get("max_answer_tokens")
        ),
    )
