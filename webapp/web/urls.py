"""URLs of the web UI (mounted at the site root)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from webapp.web import views_chat, views_console, views_documents, views_system

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views_chat.chat, name="chat"),
    path("c/<int:conversation_id>/", views_chat.conversation, name="conversation"),
    path("chat/ask", views_chat.chat_ask, name="chat-ask"),
    path(
        "documents/<int:document_id>/download",
        views_documents.document_download,
        name="document-download",
    ),
    path("console/", views_console.console, name="console"),
    path(
        "console/collections/<int:collection_id>/",
        views_console.console_collection,
        name="console-collection",
    ),
    path(
        "console/collections/<int:collection_id>/groups",
        views_console.console_collection_groups,
        name="console-collection-groups",
    ),
    path(
        "console/collections/<int:collection_id>/upload",
        views_console.console_collection_upload,
        name="console-collection-upload",
    ),
    path(
        "console/documents/status",
        views_console.console_document_status,
        name="console-document-status",
    ),
    path(
        "console/documents/<int:document_id>/retry",
        views_console.console_document_retry,
        name="console-document-retry",
    ),
    path(
        "console/documents/<int:document_id>/delete",
        views_console.console_document_delete,
        name="console-document-delete",
    ),
    path("healthz", views_system.healthz, name="healthz"),
]
