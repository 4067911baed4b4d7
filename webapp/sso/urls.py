"""URLs of single sign-on (mounted at /oidc/)."""

from __future__ import annotations

from django.urls import path

from webapp.sso import views

urlpatterns = [
    # The names are mozilla-django-oidc's: its views reverse them.
    path("authenticate/", views.oidc_start, name="oidc_authentication_init"),
    path("callback/", views.oidc_callback, name="oidc_authentication_callback"),
]
