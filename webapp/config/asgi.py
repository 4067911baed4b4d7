"""ASGI entry point: streaming answers (SSE) need an async server; ``/mcp`` is the MCP server."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.config.django_settings")
# What django.core.asgi.get_asgi_application() does, with Enclave's handler.
django.setup(set_prefix=False)

from webapp.api.mcp_http import McpMount  # noqa: E402 (after setup)
from webapp.config.request_threads import ReusedThreadsASGIHandler  # noqa: E402 (after setup)

application = McpMount(ReusedThreadsASGIHandler())
