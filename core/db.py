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
related objects of select_related() and annotations included.

`NestedRows` puts the rows of a related table (an item's history, a revision's photos)
in one column of the outer query, so that an object and what hangs off it come in one
statement: on these paths each statement costs the worker as much as the Python that
builds the answer (psycopg's protocol work, Django's cursor, the server's executor).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, NotSupportedError, connection, models
from django.db.models import F, Func, Model, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.query import ModelIterable, get_related_populators


def fetch_all(sql: str, params: Sequence) -> list[tuple]:
    """The rows of a read-only query, the query being its connection's health check."""
    if not connection.in_atomic_block:
        connection.health_check_done = True  # no separate SELECT 1 this request
    try:
        return _fetch(sql, params)
    except DatabaseError:
        # Only a dead connection is retried, and only outside a transaction (whose work
        # would be lost with it): any other error is the query's own.
        if connection.in_atomic_block or connection.is_usable():
            raise
        connection.close()
        return _fetch(sql, params)


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    """On PostgreSQL the parameters are bound by the server and the statement prepared
    once per connection (planning these small queries costs more than running them:
    0.7 ms against 0.2 ms here)."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off (poolers); a threshold no query
        # reaches lets these explicit prepare=True statements through, and only them.
        raw.prepare_threshold = 2**31 - 1
    if connection.queries_logged or connection.execute_wrappers:
        # Logged (DEBUG, the tests' query counts) or wrapped, as any other query.
        with connection._prepare_cursor(_PreparingCursor(raw)) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # One cursor per connection for these statements: psycopg keeps a cursor's loaders
    # (its Transformer) while it runs the same query object again, where a new cursor
    # builds them at each request (the timestamp loader alone: a tenth of the lookup).
    cursor = getattr(connection, "_hot_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not raw:
        cursor = connection._hot_cursor = _PreparingCursor(raw)
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
            self._compiled = (sql, list(params), positions[0], compiler, converters, None, [], (0, 0), [], [])
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
            list(compiler.annotation_col_map.items()),
        )

    def query(self, value: Any) -> tuple[str, list]:
        """The SQL and parameters for `value` (the SQL always the same object: see _fetch)."""
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
        compiler, converters, model, attnames, (start, end), populators, annotations = self._compiled[3:]
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        if model is None:
            return list(rows)
        objects = []
        for row in rows:
            obj = model.from_db(connection.alias, attnames, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, index in annotations:  # as the ORM does: an attribute each
                setattr(obj, name, row[index])
            objects.append(obj)
        return objects


class _Loaded(models.Field):
    """The output field of a NestedRows column: psycopg has already decoded the JSON,
    and nothing is converted after it (a JSONField would decode it again)."""

    def db_type(self, connection):  # pragma: no cover - never a column of a table
        return "json"


class NestedRows(Subquery):
    """The rows of `queryset`, correlated to the outer query with OuterRef, as one JSON
    column of that query (`array_to_json(ARRAY(SELECT json_build_array(...) ... ORDER
    BY ...))`, the order kept), for an annotation of a PreparedQuery; `rows(value)` and
    `objects(value)` turn the decoded column back into the values of `fields` (in that
    order; the model's concrete fields by default), converted as the ORM would, or
    instances of the model with those fields loaded. PostgreSQL only.

    JSON keeps text, numbers, booleans, nulls and JSON values as they are; decimals
    travel as text (a JSON number would be read as a float); dates, times and UUIDs as
    PostgreSQL writes them in JSON (ISO 8601), read back by `_LOADERS`."""

    template = "array_to_json(ARRAY(%(subquery)s))"

    def __init__(self, queryset: QuerySet, *, fields: Sequence[str] | None = None):
        model = queryset.model
        concrete = list(model._meta.concrete_fields)
        if fields is not None:  # in the order given
            by_name = {name: f for f in concrete for name in (f.name, f.attname)}
            if not set(fields) <= by_name.keys():
                raise ValueError(f"unknown fields of {model.__name__} in {fields!r}")
            concrete = [by_name[name] for name in fields]
        self.model, self.attnames = model, [f.attname for f in concrete]
        self.loaders = [_loader(f) for f in concrete]
        columns = [Cast(F(f.attname), models.TextField()) if _as_text(f) else F(f.attname) for f in concrete]
        row = Func(*columns, function="json_build_array", output_field=_Loaded())
        super().__init__(queryset.values(_row=row), output_field=_Loaded())

    def rows(self, value: list | None) -> list[tuple]:
        """The converted values of each row, in the order of the fields."""
        if not value:
            return []
        loaders = self.loaders
        return [
            tuple(v if load is None or v is None else load(v) for v, load in zip(row, loaders, strict=True))
            for row in value
        ]

    def objects(self, value: list | None) -> list[Model]:
        """Model instances with the fields loaded (the others deferred)."""
        return [self.model.from_db(connection.alias, self.attnames, row) for row in self.rows(value)]


def _as_text(field: models.Field) -> bool:
    return field.get_internal_type() == "DecimalField" or (
        isinstance(field, models.JSONField) and field.decoder is not None
    )


_LOADERS: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": datetime.fromisoformat,  # "2026-12-02T14:14:03.5188+00:00" (the session's UTC)
    "DateField": date.fromisoformat,
    "DecimalField": Decimal,
    "UUIDField": uuid.UUID,
}
# Types JSON carries as they are (FileField: the stored name, as the column holds it).
_NATIVE = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "FloatField",
    "BooleanField", "CharField", "TextField", "SlugField", "EmailField", "URLField", "FileField",
    "ImageField", "FilePathField", "GenericIPAddressField", "IPAddressField", "JSONField",
}  # fmt: skip


def _loader(field: models.Field) -> Callable[[Any], Any] | None:
    kind = field.get_internal_type()
    if isinstance(field, models.ForeignKey):
        return _loader(field.target_field)
    if isinstance(field, models.JSONField) and field.decoder is not None:
        return lambda text: field.from_db_value(text, None, connection)
    if kind in _LOADERS:
        return _LOADERS[kind]
    if kind in _NATIVE:
        return None
    if kind in ("TimeField", "DurationField"):
        return field.to_python
    raise NotSupportedError(f"NestedRows cannot carry {type(field).__name__} {field.name!r} through JSON")


try:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class _PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

except ImportError:  # pragma: no cover - psycopg is a requirement; the demo's SQLite never gets here
    _PreparingCursor = None
