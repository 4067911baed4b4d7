"""WSGI entry point (tests' live server; production uses ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.config.django_settings")
application = get_wsgi_application()
