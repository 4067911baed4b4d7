"""The site's URLs: the web UI at the root, Django's admin for users and groups."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("", include("webapp.web.urls")),
    path("", include("webapp.api.urls")),
    path("", include("webapp.scim.urls")),
]

# Unhandled errors: a 503 with {code, message} when the database is out of reach.
handler500 = "webapp.web.views_system.server_error"
