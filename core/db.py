"""Hot-path reads without the ORM's per-call cost.

`fetch_all()` runs a read-only query on the connection as it is. With CONN_HEALTH_CHECKS
(production), Django runs `SELECT 1` before the first query of every request, so that a
connection the server closed (restart, idle timeout) is replaced instead of failing the
request; on the hottest read paths that check is a round trip as long as the query
itself. Here the query is the check: if it fails because the connection is dead, a new
connection is opened and the (read-only) query runs again, which is what the health
check would have done.

`PreparedQuery` compiles a queryset once per process (the compilation costs more than
the query on these paths) and builds model instances from its rows as the ORM does,
related objects of select_related() included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators


def fetch_all(sql: str, params: Sequence) -> list[tuple]:
    """The rows of a read-only query, the query being its connection's health check."""
    return fetch_together([(sql, params)])[0]


def fetch_together(queries: Sequence[tuple[str, Sequence]]) -> list[list[tuple]]:
    """The rows of several read-only queries that do not depend on each other, sent in
    one round trip (psycopg's pipeline mode), the first being the health check."""
    if not connection.in_atomic_block:
        connection.health_check_done = True  # no separate SELECT 1 this request
    try:
        return _fetch_together(queries)
    except DatabaseError:
        # Only a dead connection is retried, and only outside a transaction (whose work
        # would be lost with it): any other error is the query's own.
        if connection.in_atomic_block or connection.is_usable():
            raise
        connection.close()
        return _fetch_together(queries)


def _cursor():
    """A cursor for a hot-path query: on PostgreSQL its parameters are bound by the server
    and the statement prepared once per connection (planning these small queries costs
    more than running them: 0.7 ms against 0.2 ms here); logged like any other query."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off (poolers); a threshold no query
        # reaches lets these explicit prepare=True statements through, and only them.
        raw.prepare_threshold = 2**31 - 1
    return connection._prepare_cursor(_PreparingCursor(raw))


def _fetch_together(queries: Sequence[tuple[str, Sequence]]) -> list[list[tuple]]:
    if len(queries) == 1:
        with _cursor() as cursor:
            cursor.execute(*queries[0])
            return [cursor.fetchall()]
    connection.ensure_connection()
    cursors = [_cursor() for _query in queries]
    try:
        # Every query is sent before the first result is read: one round trip.
        with connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, queries, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class PreparedQuery:
    """`make(value)` → a queryset, compiled once with `sentinel` for `value`;
    `objects(value)` runs its SQL with the real value and returns the model instances
    (select_related objects attached), or the rows of a values_list() queryset, their
    values converted as the ORM does. PostgreSQL only: callers use the queryset itself
    elsewhere (the demo's SQLite)."""

    def __init__(self, make: Callable[[Any], QuerySet], sentinel: Any):
        self._make, self._sentinel = make, sentinel
        self._compiled = None

    def _compile(self):
        queryset = self._make(self._sentinel)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        positions = [i for i, param in enumerate(params) if param == self._sentinel]
        if len(positions) != 1:  # pragma: no cover - the sentinel must stand for one parameter
            raise RuntimeError(f"sentinel {self._sentinel!r} found {len(positions)} times in {params!r}")
        klass_info, select = compiler.klass_info, compiler.select
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        if queryset._iterable_class is not ModelIterable:  # values_list(): rows, not instances
            self._compiled = (sql, list(params), positions[0], compiler, converters, None, [], (0, 0), [])
            return
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self._compiled = (
            sql,
            list(params),
            positions[0],
            compiler,
            converters,
            klass_info["model"],
            [f[0].target.attname for f in select[start:end]],
            (start, end),
            get_related_populators(klass_info, select, queryset.db),
        )

    def query(self, value: Any) -> tuple[str, list]:
        """The SQL and parameters for `value` (for fetch_together())."""
        if self._compiled is None:
            self._compile()
        sql, params, position = self._compiled[:3]
        params = list(params)
        params[position] = value
        return sql, params

    def objects(self, value: Any) -> list[Model]:
        return self.build(fetch_all(*self.query(value)))

    def build(self, rows: list[tuple]) -> list:
        """The instances (or, for values_list(), the converted rows) of rows this query fetched."""
        if self._compiled is None:
            self._compile()
        compiler, converters, model, attnames, (start, end), populators = self._compiled[3:]
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        if model is None:
            return list(rows)
        objects = []
        for row in rows:
            obj = model.from_db(connection.alias, attnames, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects


try:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class _PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

except ImportError:  # pragma: no cover - psycopg is a requirement; the demo's SQLite never gets here
    _PreparingCursor = None
