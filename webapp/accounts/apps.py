from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "webapp.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Revoke a user's tokens when the account is deactivated (``signals.py``)."""
        from webapp.accounts.signals import connect_signals

        connect_signals()
