"""Django app configuration of the web UI."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "webapp.web"
    label = "web"
    verbose_name = "Web UI"
