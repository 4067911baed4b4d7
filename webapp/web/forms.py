"""Console forms: they validate input only; services do the work."""

from __future__ import annotations

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
