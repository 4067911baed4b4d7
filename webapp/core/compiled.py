"""A hot read built with the ORM once per database, then run as its SQL with a new argument.

Building a queryset (cloning, resolving lookups and joins) and compiling it to SQL
costs about half a millisecond of Python per read, ten times the query itself on
SQLite; a question runs its reads on the one interpreter lock of the web process.
``CompiledRead`` builds the queryset once per database with a marker in place of
its one argument, keeps the SQL, and afterwards only swaps the argument into the
parameters and fetches the rows. The SQL is the ORM's own, so it is right for
SQLite and PostgreSQL alike; nothing is cached but that text.

The rows are what the database driver returns, without Django's field converters:
use it for ``values_list`` reads of ids, text and other plain columns only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

__all__ = ["CompiledRead"]

# Stands in for the argument while the ORM compiles; never a real id.
MARKER = -918_273_645


class CompiledRead:
    """``rows(argument)``: the rows of ``build(argument)``, compiled once per database."""

    def __init__(self, build: Callable[[int], QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}
        self._lock = threading.Lock()

    def rows(self, argument: int, *, using: str = "default") -> list[tuple[Any, ...]]:
        """The rows the queryset ``build(argument)`` reads, as tuples."""
        connection = connections[using]
        sql, params, slots = self._sql(using, connection.vendor)
        values = list(params)
        for slot in slots:
            values[slot] = argument
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()

    def _sql(self, using: str, vendor: str) -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
        key = (using, vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, using: str) -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
        queryset = self._build(MARKER).using(using)
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        slots = tuple(i for i, value in enumerate(params) if value == MARKER)
        if not slots:
            raise ValueError("The queryset does not use its argument as a query parameter.")
        return sql, tuple(params), slots
