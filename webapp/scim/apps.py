from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "webapp.scim"
    label = "scim"
    default_auto_field = "django.db.models.BigAutoField"
