"""Enclave's HTTP API: REST under ``/api/v1/`` and OpenAI-compatible ``/v1/``, token auth."""
