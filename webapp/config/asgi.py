"""ASGI entry point: streaming answers (SSE) need an async server."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.config.django_settings")
application = get_asgi_application()
