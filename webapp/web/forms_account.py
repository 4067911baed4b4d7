"""Forms of the account page and of the console's password reset: input only, services act."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from webapp.accounts.models import ApiScope

__all__ = ["OwnTokenCreateForm", "PasswordChangeForm", "PasswordResetForm"]

SCOPE_LABELS = {
    ApiScope.READ: _("read: collections, documents and search"),
    ApiScope.ASK: _("ask: questions, conversations and feedback"),
    ApiScope.INGEST: _("ingest: upload, delete and re-index documents"),
    ApiScope.ADMIN: _("admin: manage collections"),
    ApiScope.SCIM: _("scim: provision users and groups"),
}
POLICY_HINT = _("At least 8 characters, not a common password, not like the username.")


def _secret(label: str, autocomplete: str, help_text: Any = "") -> forms.CharField:
    widget = forms.PasswordInput(attrs={"autocomplete": autocomplete})
    return forms.CharField(label=label, strip=False, widget=widget, help_text=help_text)


class PasswordChangeForm(forms.Form):
    """The signed-in user's own change: current password, then the new one twice."""

    current_password = _secret(_("Current password"), "current-password")
    new_password = _secret(_("New password"), "new-password", POLICY_HINT)
    new_password_again = _secret(_("New password again"), "new-password")

    def clean(self) -> dict[str, Any]:
        """The new password typed the same way twice."""
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class PasswordResetForm(forms.Form):
    """An admin's reset of another user's password."""

    password = _secret(_("New password"), "new-password", POLICY_HINT)
    must_change = forms.BooleanField(
        label=_("Must choose a new password at the next sign-in"), required=False, initial=True
    )


class OwnTokenCreateForm(forms.Form):
    """A token the user makes for themselves, with the scopes they may give it."""

    name = forms.CharField(label=_("Token name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=3650, required=False
    )

    def __init__(self, *args: Any, scopes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(scope, SCOPE_LABELS[scope]) for scope in scopes]
