"""Answer generation for Enclave: LLM backends, prompts with a token budget, citations.

A leaf library: it never imports Django, Celery, ``webapp``, ``worker`` or
``retrieval``, and takes all configuration through constructors.
"""

from inference.answering import NOT_FOUND_MESSAGES, answer_stream, chat_model_from_config
from inference.backends.extractive import ExtractiveChatModel
from inference.backends.openai_compatible import OpenAICompatibleChatModel
from inference.base import ChatModel, Completer, UsesSimilarity
from inference.budget import estimate_tokens
from inference.catalogue import ModelSpec, build_catalogue
from inference.citations import (
    CitationRenumbering,
    check_citations,
    parse_citations,
    renumber_citations,
    source_order,
)
from inference.cluster import Cluster, Replica, ReplicaStatus
from inference.config import Endpoint, InferenceConfig, parse_endpoints
from inference.errors import (
    ContextOverflowError,
    InferenceError,
    ModelUnavailableError,
    UnknownModelError,
    UpstreamError,
)
from inference.language import detect_language
from inference.models import (
    Answer,
    AnswerDelta,
    AnswerDone,
    ChatTurn,
    Notice,
    SourcePassage,
    StreamStats,
)
from inference.prompts import Prompt, build_prompt
from inference.rewrite import Rewrite, looks_like_follow_up, rewrite_heuristic, rewrite_question
from inference.routing import ModelRouter, Route, classify_question, router_from_config
from inference.support import (
    Attribution,
    SentenceSupport,
    Similarity,
    attribute_sentences,
    quoted_sentences,
)
from inference.tokenizer import ServedTokenCounter

__all__ = [
    "Answer",
    "Attribution",
    "CitationRenumbering",
    "Completer",
    "NOT_FOUND_MESSAGES",
    "Notice",
    "UsesSimilarity",
    "ModelRouter",
    "ModelSpec",
    "Rewrite",
    "Route",
    "SentenceSupport",
    "ServedTokenCounter",
    "Similarity",
    "UnknownModelError",
    "build_catalogue",
    "attribute_sentences",
    "quoted_sentences",
    "renumber_citations",
    "source_order",
    "classify_question",
    "looks_like_follow_up",
    "rewrite_heuristic",
    "rewrite_question",
    "router_from_config",
    "AnswerDelta",
    "AnswerDone",
    "ChatModel",
    "ChatTurn",
    "Cluster",
    "ContextOverflowError",
    "Endpoint",
    "ExtractiveChatModel",
    "InferenceConfig",
    "InferenceError",
    "ModelUnavailableError",
    "OpenAICompatibleChatModel",
    "Prompt",
    "Replica",
    "ReplicaStatus",
    "SourcePassage",
    "StreamStats",
    "UpstreamError",
    "answer_stream",
    "build_prompt",
    "chat_model_from_config",
    "check_citations",
    "detect_language",
    "estimate_tokens",
    "parse_citations",
    "parse_endpoints",
]
