"""Django's security-header settings, derived from the settings object.

Every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: same-origin``, ``Cross-Origin-Opener-Policy: same-origin``
(Django's SecurityMiddleware and XFrameOptionsMiddleware) and the
Content-Security-Policy (``webapp.config.middleware``). Served over HTTPS
(``ENCLAVE_SECURE_COOKIES``), a secure request also gets
``Strict-Transport-Security``: browsers then refuse plain HTTP to the site for a
year. A request counts as secure when it came over TLS, or from a proxy in
``ENCLAVE_TRUSTED_PROXIES`` that says so (``X-Forwarded-Proto: https``).
"""

from __future__ import annotations

from typing import Any

from webapp.config.settings import EnclaveSettings

__all__ = ["HSTS_SECONDS", "security_header_settings"]

HSTS_SECONDS = 365 * 24 * 3600


def security_header_settings(enclave: EnclaveSettings) -> dict[str, Any]:
    """The ``SECURE_*`` and ``X_FRAME_OPTIONS`` settings for ``enclave``."""
    return {
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        # Only sent on secure requests, so a plain-HTTP install is never pinned.
        "SECURE_HSTS_SECONDS": HSTS_SECONDS if enclave.sign_in.secure_cookies else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
    }
