from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "webapp.api"
    label = "api"

    def ready(self) -> None:
        # Registers the OpenAPI description of the Bearer token scheme.
        from webapp.api import auth  # noqa: F401
