"""Backup and restore of a whole Enclave home: database, index, originals, secret key.

``services.backup_create`` and ``services.backup_restore`` are the entry points
(``enclave backup DIR`` / ``enclave restore DIR``); ``manifest`` describes and
checks a backup folder, ``database`` copies SQLite or PostgreSQL, ``index``
snapshots the vector index (inside ``enclave serve`` when it owns the embedded
index) and reconciles it with the restored database.
"""
