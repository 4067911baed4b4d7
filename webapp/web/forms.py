"""Console forms: they validate input only; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _


def _group_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        label=_("Allowed groups"),
        help_text=_(
            "Members of these groups can ask about this collection; staff always can. "
            "Hold Ctrl (Cmd on a Mac) to choose several."
        ),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class CollectionCreateForm(forms.Form):
    """Name, description and readers of a new collection."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    groups = _group_field()

    def group_ids(self) -> list[int]:
        """The chosen groups' ids."""
        return [group.id for group in self.cleaned_data["groups"]]


class CollectionGroupsForm(forms.Form):
    """Who may read an existing collection."""

    groups = _group_field()

    def group_ids(self) -> list[int]:
        """The chosen groups' ids."""
        return [group.id for group in self.cleaned_data["groups"]]


def _group_checkboxes(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(forms.Form):
    """A new local user."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password, not like the username."),
    )
    groups = _group_checkboxes(_("Groups"))
    admin = forms.BooleanField(
        label=_("Administrator"),
        required=False,
        help_text=_("Administrators use the console and read every collection."),
    )

    def group_ids(self) -> list[int]:
        """The chosen groups' ids."""
        return [group.id for group in self.cleaned_data["groups"]]


class UserGroupsForm(forms.Form):
    """An existing user's groups and admin right."""

    groups = _group_checkboxes(_("Groups"))
    admin = forms.BooleanField(label=_("Administrator"), required=False)

    def group_ids(self) -> list[int]:
        """The chosen groups' ids."""
        return [group.id for group in self.cleaned_data["groups"]]


class GroupCreateForm(forms.Form):
    """A new group."""

    name = forms.CharField(label=_("Group name"), max_length=150)


class DocumentGroupsForm(forms.Form):
    """Readers of one document: a subset of its collection's groups (none: all of them)."""

    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        required=False,
        label=_("Only these groups"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, collection_groups, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = collection_groups

    def group_ids(self) -> list[int]:
        """The chosen groups' ids."""
        return [group.id for group in self.cleaned_data["groups"]]


class TokenCreateForm(forms.Form):
    """A new API token acting as a user (a service account is a user with groups)."""

    user = forms.ModelChoiceField(queryset=None, label=_("Acts as user"))
    name = forms.CharField(label=_("Token name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=3650, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        from webapp.accounts.models import ApiScope

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        self.fields["scopes"].choices = ApiScope.choices


class EvalSetUploadForm(forms.Form):
    """A name and a CSV or JSONL file of questions (checked by the service)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("File (CSV or JSONL)"),
        help_text=_(
            "One question a row: question, answer, facts (separated by |), document (its title), "
            "answerable, language. English or Portuguese column names; UTF-8."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.jsonl,.ndjson,.json,text/csv"}),
    )


class EvalRunForm(forms.Form):
    """Which evaluation to run, and as whom (their permissions apply)."""

    kind = forms.ChoiceField(
        label=_("Evaluation"),
        choices=[("retrieval", _("Retrieval (is the document found?)")),
                 ("answers", _("Answers (is the answer right and cited?)"))],
    )  # fmt: skip
    run_as = forms.ModelChoiceField(
        queryset=None,
        label=_("Ask as"),
        required=False,
        empty_label=_("Me"),
        help_text=_("The questions are searched with this user's permissions, as in the chat."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["run_as"].queryset = users  # type: ignore[attr-defined]
