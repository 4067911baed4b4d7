"""URLs of the web UI (mounted at the site root)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from webapp.web import (
    views_account,
    views_auth,
    views_chat,
    views_collections,
    views_console,
    views_conversations,
    views_documents,
    views_evalsets,
    views_feedback,
    views_insights,
    views_metrics,
    views_system,
    views_tokens,
    views_users,
)

urlpatterns = [
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("oidc/", include("webapp.sso.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views_account.account, name="account"),
    path("account/password", views_account.account_password, name="account-password"),
    path("account/tokens/create", views_account.account_token_create, name="account-token-create"),
    path(
        "account/tokens/<int:token_id>/revoke",
        views_account.account_token_revoke,
        name="account-token-revoke",
    ),
    path("", views_chat.chat, name="chat"),
    path("c/<int:conversation_id>/", views_chat.conversation, name="conversation"),
    path("chat/ask", views_chat.chat_ask, name="chat-ask"),
    path("chat/search", views_conversations.conversation_search, name="chat-search"),
    path("chat/model", views_chat.chat_model, name="chat-model"),
    path(
        "c/<int:conversation_id>/rename",
        views_conversations.conversation_rename_view,
        name="conversation-rename",
    ),
    path(
        "c/<int:conversation_id>/delete",
        views_conversations.conversation_delete_view,
        name="conversation-delete",
    ),
    path(
        "c/<int:conversation_id>/export.md",
        views_conversations.conversation_export,
        name="conversation-export",
    ),
    path(
        "c/<int:conversation_id>/export.pdf",
        views_conversations.conversation_export_pdf,
        name="conversation-export-pdf",
    ),
    path(
        "chat/answers/<int:message_id>/feedback",
        views_conversations.feedback_view,
        name="chat-feedback",
    ),
    # set_language: the language switch in the top bar posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "documents/<int:document_id>/download",
        views_documents.document_download,
        name="document-download",
    ),
    path("console/", views_console.console, name="console"),
    path("console/reindex", views_console.console_reindex_all, name="console-reindex"),
    path(
        "console/search-index/status",
        views_console.console_search_index_status,
        name="console-search-index-status",
    ),
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
        "console/collections/<int:collection_id>/model",
        views_console.console_collection_model,
        name="console-collection-model",
    ),
    path(
        "console/collections/<int:collection_id>/reindex",
        views_console.console_collection_reindex,
        name="console-collection-reindex",
    ),
    path(
        "console/collections/<int:collection_id>/upload",
        views_console.console_collection_upload,
        name="console-collection-upload",
    ),
    path(
        "console/collections/<int:collection_id>/rename",
        views_collections.console_collection_rename,
        name="console-collection-rename",
    ),
    path(
        "console/collections/<int:collection_id>/delete",
        views_collections.console_collection_delete,
        name="console-collection-delete",
    ),
    path(
        "console/documents/<int:document_id>/rename",
        views_collections.console_document_rename,
        name="console-document-rename",
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
    path(
        "console/documents/<int:document_id>/groups",
        views_console.console_document_groups,
        name="console-document-groups",
    ),
    path("console/users/", views_users.console_users, name="console-users"),
    path("console/users/new", views_users.console_user_create, name="console-user-create"),
    path("console/users/<int:user_id>/", views_users.console_user, name="console-user"),
    path(
        "console/users/<int:user_id>/active",
        views_users.console_user_active,
        name="console-user-active",
    ),
    path(
        "console/users/<int:user_id>/password",
        views_users.console_user_password,
        name="console-user-password",
    ),
    path(
        "console/users/<int:user_id>/delete",
        views_users.console_user_delete,
        name="console-user-delete",
    ),
    path("console/groups/new", views_users.console_group_create, name="console-group-create"),
    path("console/tokens/", views_tokens.console_tokens, name="console-tokens"),
    path("console/tokens/create", views_tokens.console_token_create, name="console-token-create"),
    path(
        "console/tokens/<int:token_id>/revoke",
        views_tokens.console_token_revoke,
        name="console-token-revoke",
    ),
    path("console/usage/", views_insights.console_usage, name="console-usage"),
    path(
        "console/usage/costs.csv",
        views_insights.console_usage_costs_csv,
        name="console-usage-costs-csv",
    ),
    path("console/audit/", views_insights.console_audit, name="console-audit"),
    path("console/feedback/", views_feedback.console_feedback, name="console-feedback"),
    path("console/audit.csv", views_insights.console_audit_csv, name="console-audit-csv"),
    path("console/evaluation/", views_evalsets.console_evaluation, name="console-evaluation"),
    path(
        "console/evaluation/<int:eval_set_id>/",
        views_evalsets.console_evaluation_set,
        name="console-evaluation-set",
    ),
    path(
        "console/evaluation/<int:eval_set_id>/run",
        views_evalsets.console_evaluation_run,
        name="console-evaluation-run",
    ),
    path(
        "console/evaluation/runs/status",
        views_evalsets.console_evaluation_run_status,
        name="console-evaluation-run-status",
    ),
    path(
        "console/evaluation/index-check/confirm",
        views_evalsets.console_evaluation_confirm,
        name="console-evaluation-confirm",
    ),
    path("healthz", views_system.healthz, name="healthz"),
    path("metrics", views_metrics.metrics, name="metrics"),
]
