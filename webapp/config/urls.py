"""The site's URLs: the web UI at the root, Django's admin for users and groups."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("", include("webapp.web.urls")),
    path("", include("webapp.api.urls")),
]
