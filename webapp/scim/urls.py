"""SCIM 2.0 under /scim/v2/ (RFC 7644): discovery, Users, Groups; anything else a SCIM 404."""

from __future__ import annotations

from django.urls import path, re_path

from webapp.scim.views import scim_endpoint

SCIM = "scim/v2/"

urlpatterns = [
    path(f"{SCIM}ServiceProviderConfig", scim_endpoint),
    path(f"{SCIM}ResourceTypes", scim_endpoint),
    path(f"{SCIM}ResourceTypes/<str:name>", scim_endpoint),
    path(f"{SCIM}Schemas", scim_endpoint),
    path(f"{SCIM}Schemas/<str:schema>", scim_endpoint),
    path(f"{SCIM}Users", scim_endpoint),
    path(f"{SCIM}Users/<str:resource_id>", scim_endpoint),
    path(f"{SCIM}Groups", scim_endpoint),
    path(f"{SCIM}Groups/<str:resource_id>", scim_endpoint),
    # /Me, /Bulk, /.search and unknown paths: scim2-server answers them (404, 501).
    re_path(r"^scim/v2(?:/[\s\S]*)?$", scim_endpoint),
]
