from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "webapp.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Revoke tokens on deactivation; mark sign-ins that must change the password first."""
        from webapp.accounts.signals import connect_signals

        connect_signals()
