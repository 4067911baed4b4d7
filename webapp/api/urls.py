"""API URLs: REST under /api/v1/, OpenAI-compatible under /v1/, schema and offline docs."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from webapp.api import views_chat, views_knowledge, views_openai, views_tokens
from webapp.api.docs import ApiRedocView, ApiSwaggerView
from webapp.api.errors import api_not_found

REST = "api/v1/"

urlpatterns = [
    path(f"{REST}collections", views_knowledge.CollectionListView.as_view()),
    path(f"{REST}collections/<int:collection_id>", views_knowledge.CollectionDetailView.as_view()),
    path(
        f"{REST}collections/<int:collection_id>/groups",
        views_knowledge.CollectionGroupsView.as_view(),
    ),
    path(
        f"{REST}collections/<int:collection_id>/documents",
        views_knowledge.CollectionDocumentsView.as_view(),
    ),
    path(f"{REST}documents", views_knowledge.DocumentListView.as_view()),
    path(f"{REST}documents/<int:document_id>", views_knowledge.DocumentDetailView.as_view()),
    path(
        f"{REST}documents/<int:document_id>/reindex",
        views_knowledge.DocumentReindexView.as_view(),
    ),
    path(f"{REST}search", views_knowledge.SearchView.as_view()),
    path(f"{REST}ask", views_chat.AskView.as_view()),
    path(f"{REST}conversations", views_chat.ConversationListView.as_view()),
    path(
        f"{REST}conversations/<int:conversation_id>",
        views_chat.ConversationDetailView.as_view(),
    ),
    path(f"{REST}messages/<int:message_id>/feedback", views_chat.FeedbackView.as_view()),
    path(f"{REST}tokens", views_tokens.TokenListView.as_view()),
    path(f"{REST}tokens/<int:token_id>", views_tokens.TokenDetailView.as_view()),
    path("v1/models", views_openai.ModelListView.as_view()),
    path("v1/models/<path:model>", views_openai.ModelDetailView.as_view()),
    path("v1/chat/completions", views_openai.ChatCompletionsView.as_view()),
    path(f"{REST}schema", SpectacularAPIView.as_view(), name="api-schema"),
    path(f"{REST}docs", ApiSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(f"{REST}redoc", ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Anything else under the API's prefixes is a JSON 404, not the web UI's HTML page.
    re_path(r"^(?:api/v1|v1)(?:/(?s:.*))?$", api_not_found),
]
