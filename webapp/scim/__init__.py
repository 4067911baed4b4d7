"""SCIM 2.0 provisioning: identity providers create, change and remove users and groups.

Built on ``scim2-server`` (Apache-2.0, on ``scim2-models``): it does the protocol
(request validation, filters, PATCH semantics, discovery documents, SCIM error
bodies) and knows no web framework, so Enclave adds one storage over Django's
users and groups (``storage.py``), one view that authenticates an API token with
the ``scim`` scope (``views.py``) and the audited writes (``services.py``).
``django-scim2`` was the other candidate: it needs extra id columns on the user
model (Enclave uses Django's own ``auth.User``), its own middleware and settings,
and declares filtering unsupported.
"""
