"""Stored public answers: the tracking JSON of a number, kept in PostgreSQL as the API
sends it, so that an answer no cache holds costs one indexed read of one narrow row
instead of the lookup and the Python that builds the answer from it (on this machine
the lookup's statement alone costs as much as the rest of the request: bench/README).

A read model kept coherent by the database, not a cache with a lifetime:

- Every table the answer shows has a trigger, installed after each `migrate` from the
  registry (the service's model, the history, `select_related`, `prefetch` and
  `answer_sources`). In the writer's own transaction, whatever writes (a service, the
  admin, a bulk update(), raw SQL), it moves the items' `answer_version` forward and
  deletes their stored answers. Any update of a tracking row moves its version too
  (a trigger on the row itself), so a stale copy saved by the ORM never moves it back.
- An answer is stored with the version its data was read at, and only while that is
  still the item's version (the row is read FOR SHARE SKIP LOCKED: while a writer holds
  it, nothing is stored, and the reader never waits). It is served only
  while its version is the item's, its shape the running code's, and its `valid_until`
  (the service's `changes_at`: a quote's validity) is ahead.
- `shape()` fingerprints the code and translations that write answers: after a
  deploy that changes them, answers written before are built again.

The demo's SQLite has no triggers: answers are built at each request there.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone, translation

from core.db import fetch_all

from . import registry
from .models import PublicAnswer, TrackedItem, TrackingEvent

logger = logging.getLogger(__name__)

# Raise when the answer's format changes in a way the source files would not show.
FORMAT = "1"

ITEMS = TrackedItem._meta.db_table
ANSWERS = PublicAnswer._meta.db_table

_READ = f"""
SELECT a.body, a.valid_until FROM {ITEMS} t JOIN {ANSWERS} a ON a.item_id = t.id
WHERE t.number = %s AND a.language = %s AND a.shape = %s AND a.version = t.answer_version
  AND (a.valid_until IS NULL OR a.valid_until > statement_timestamp())
"""  # noqa: S608 - table names from the models, values bound

_STORE = f"""
INSERT INTO {ANSWERS} (item_id, language, version, shape, valid_until, body, built_at)
SELECT t.id, %s, t.answer_version, %s, %s, %s, now() FROM {ITEMS} t
WHERE t.id = %s AND t.answer_version = %s FOR SHARE OF t SKIP LOCKED
ON CONFLICT (item_id, language) DO UPDATE SET
  version = EXCLUDED.version, shape = EXCLUDED.shape, valid_until = EXCLUDED.valid_until,
  body = EXCLUDED.body, built_at = EXCLUDED.built_at
WHERE {ANSWERS}.version <= EXCLUDED.version
"""  # noqa: S608


def enabled() -> bool:
    return connection.vendor == "postgresql"


def read(*, number: str, language: str) -> tuple[bytes, datetime | None] | None:
    """(the stored answer of a normalised number in `language`, when it changes by
    itself), if it is current: one indexed read."""
    rows = fetch_all(_READ, [number, language, shape()])
    return (bytes(rows[0][0]), rows[0][1]) if rows else None


def store(*, item_id: int, version: int, language: str, body: bytes, valid_until: datetime | None) -> None:
    """Keep an answer built from data read at `version` (see the module's docstring).
    A failure only means the next request builds it again."""
    if valid_until is not None and valid_until <= timezone.now():
        return  # past already (a hold run out, its expiry not written yet): never served
    params = [language, shape(), valid_until, body, item_id, version]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_STORE, params)
    except DatabaseError as exc:
        if connection.in_atomic_block:  # the caller's transaction is broken: theirs to handle
            raise
        logger.warning("tracking answer of item %s not stored: %s", item_id, exc)


# The settings answers read (a quote's validity days, a rental's hold hours...): a new
# service whose answer reads settings of its own adds their prefix here.
SHAPE_SETTINGS = ("LANGUAGE_CODE", "LANGUAGES", "TIME_ZONE", "FORCE_SCRIPT_NAME")
SHAPE_SETTINGS_PREFIXES = ("REVISION_", "RENTAL_", "SUPPORT_")


@cache
def shape() -> str:
    """A fingerprint of what writes answers: the source of tracking, core and the
    services' apps, the URL configuration, the compiled translations, the settings they
    read, and FORMAT."""
    digest = hashlib.blake2b(FORMAT.encode(), digest_size=8)
    for root, path in _shape_files():
        digest.update(str(path.relative_to(root)).encode())  # not where the code is installed
        digest.update(path.read_bytes())
    names = sorted(n for n in dir(settings) if n in SHAPE_SETTINGS or n.startswith(SHAPE_SETTINGS_PREFIXES))
    with translation.override(None):  # lazy text (the languages' names) as written, whoever asks first
        digest.update(repr([(name, getattr(settings, name)) for name in names]).encode())
    return digest.hexdigest()


def _shape_files() -> list[tuple[Path, Path]]:
    """(the folder it is named from, the file), in a stable order."""
    packages = {"core", "tracking", *(service.model._meta.app_config.name for service in registry.all_services())}
    files = []
    for name in sorted(packages):
        package = Path(importlib.import_module(name).__file__).parent
        files += [
            (package.parent, p) for p in package.rglob("*.py") if "migrations" not in p.relative_to(package).parts
        ]
    for locale in map(Path, settings.LOCALE_PATHS):
        files += [(locale, p) for p in locale.rglob("*.mo")]
    # The URLs the answers link to (a photo, an attachment) are mounted there.
    for name in {settings.ROOT_URLCONF, "config.urls"}:
        path = Path(importlib.import_module(name).__file__)
        files.append((path.parent.parent, path))
    return sorted(files, key=lambda found: found[1].relative_to(found[0]))


# --- The triggers -------------------------------------------------------------------

_TOUCH = f"""
CREATE OR REPLACE FUNCTION tracking_answers_touch(items bigint[]) RETURNS void LANGUAGE sql AS $fn$
  WITH locked AS (  -- in one order, whichever writer comes first; FK checks still pass
    SELECT id FROM {ITEMS} WHERE id = ANY(items) ORDER BY id FOR NO KEY UPDATE
  ), touched AS (
    UPDATE {ITEMS} t SET answer_version = t.answer_version + 1 FROM locked WHERE t.id = locked.id RETURNING t.id
  )
  DELETE FROM {ANSWERS} WHERE item_id IN (SELECT id FROM touched)
$fn$;
CREATE OR REPLACE FUNCTION tracking_answers_item() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.answer_version := GREATEST(NEW.answer_version, OLD.answer_version + 1);
  RETURN NEW;
END
$fn$;
"""  # noqa: S608
_ITEM_FUNCTION = "tracking_answers_item"

_SENTINEL = -7_340_019


@dataclass
class Source:
    """What a table's trigger does: the SELECTs giving the tracking items one of its rows
    (`{row}`: OLD or NEW) shows in, and the parent rows a new or changed row is read with
    (a rental's car), locked FOR SHARE first: a car renamed by a transaction still open
    is then waited for, instead of missing a rental that points at it meanwhile."""

    selects: set[str] = field(default_factory=set)
    locks: set[str] = field(default_factory=set)


def _path_fields(model, path: str) -> list:
    """The foreign keys a select_related path follows from `model`, in order."""
    fields = []
    for part in path.split("__"):
        fields.append(model._meta.get_field(part))
        model = fields[-1].related_model
    return fields


def _service_tables(service) -> set[str]:
    """The tables a service's answer reads, beyond the history."""
    models_read = [service.model, *(service.model._meta.get_field(name).related_model for name in service.prefetch)]
    models_read += [_path_fields(service.model, path)[-1].related_model for path in service.select_related]
    models_read += [model for model, _column, _lookup in service.answer_sources]
    return {model._meta.db_table for model in models_read}


def sources(*, present: set[str] | None = None) -> dict[str, Source]:
    """table -> its Source, for every registered service (only those whose tables are all
    `present`, when given: a trigger must not read a table that is not there)."""
    found: dict[str, Source] = {}

    def add(model, sql: str) -> Source:
        source = found.setdefault(model._meta.db_table, Source())
        source.selects.add(sql)
        return source

    def through(service, model, column: str, lookup: str) -> None:
        # The service's rows matching the column's value, compiled by the ORM.
        queryset = service.model._base_manager.filter(**{lookup: _SENTINEL}).values_list("tracking_id").order_by()
        sql, params = queryset.query.sql_with_params()
        if list(params) != [_SENTINEL] or sql.count("%s") != 1:  # pragma: no cover - a lookup of one value
            raise registry.RegistryError(f"{service.prefix}: cannot follow {lookup!r} to {model.__name__}")
        add(model, "(" + sql.replace("%s", f'{{row}}."{column}"') + ")")

    add(TrackingEvent, '(SELECT {row}."item_id")')
    for service in registry.all_services():
        if present is not None and not _service_tables(service) <= present:
            logger.warning("tracking answer triggers: %s left out, its tables are missing", service.prefix)
            continue
        meta = service.model._meta
        own = add(service.model, f'(SELECT {{row}}."{meta.get_field("tracking").column}")')
        for path in service.select_related:
            fields = _path_fields(service.model, path)
            model = fields[-1].related_model
            if model is TrackedItem:  # a number never changes
                continue
            through(service, model, model._meta.pk.column, path)
            first = fields[0]
            if len(fields) == 1:  # a deeper path's parents are not locked: none is declared
                parent = first.related_model._meta
                own.locks.add(
                    f'PERFORM 1 FROM "{parent.db_table}" WHERE "{first.target_field.column}" = NEW."{first.column}" '
                    "FOR SHARE;"
                )
        for name in service.prefetch:
            rel = meta.get_field(name)
            through(service, rel.related_model, rel.field.column, "pk")
        for model, attname, lookup in service.answer_sources:
            column = next(f.column for f in model._meta.concrete_fields if f.attname == attname)
            through(service, model, column, lookup)
    return dict(sorted(found.items()))


def _function_name(table: str) -> str:
    return f"tracking_answers__{table}"[:63]


def _function_sql(table: str, source: Source) -> str:
    def items(*rows: str) -> str:
        return " UNION ".join(select.replace("{row}", row) for row in rows for select in sorted(source.selects))

    locks = "\n    ".join(sorted(source.locks))
    return f"""
CREATE OR REPLACE FUNCTION {_function_name(table)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {locks}
    PERFORM tracking_answers_touch(ARRAY({items("NEW")})::bigint[]);
  ELSIF TG_OP = 'UPDATE' THEN
    {locks}
    PERFORM tracking_answers_touch(ARRAY({items("OLD", "NEW")})::bigint[]);
  ELSE
    PERFORM tracking_answers_touch(ARRAY({items("OLD")})::bigint[]);
  END IF;
  RETURN NULL;
END
$fn$;"""


def _trigger_sql(table: str) -> str:
    if table == ITEMS:
        return (
            f"CREATE OR REPLACE TRIGGER tracking_answers BEFORE UPDATE ON {ITEMS} "
            f"FOR EACH ROW EXECUTE FUNCTION {_ITEM_FUNCTION}()"
        )
    return (
        f'CREATE OR REPLACE TRIGGER tracking_answers AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {_function_name(table)}()"
    )


_INSTALLED = """
SELECT t.tgrelid::regclass::text, c.relname, n.nspname = current_schema(), p.proname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid
WHERE t.tgname = 'tracking_answers'
"""

# A deploy's migrate waits this long at most for a table whose trigger it must create (an
# open transaction writing to it), then fails, to be run again: writes never queue long.
LOCK_TIMEOUT = "10s"


def install_triggers(*, using: str = "default") -> None:
    """Make the triggers those of the registered services; idempotent (run after every
    migrate: tracking.apps). In one transaction: the functions are replaced first (no
    table lock), a trigger is created only where it is missing or calls another
    function, each in place (no write ever finds a table without one), and a trigger
    left on a table no longer listed is dropped. A service whose tables are not there
    (its app migrated back) gets none, the others keep theirs; without the answers table
    or the version column (tracking migrated back), every trigger is dropped: writes
    would fail on them."""
    db = connections[using]
    if db.vendor != "postgresql":
        return
    tables = set(db.introspection.table_names())
    wanted = sources(present=tables)
    with transaction.atomic(using=using), db.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(_INSTALLED)
        installed = {}
        for qualified, name, here, function in cursor.fetchall():
            if here and (name in wanted or name == ITEMS):
                installed[name] = function
            else:
                cursor.execute(f"DROP TRIGGER tracking_answers ON {qualified}")
        ready = ITEMS in tables and ANSWERS in tables
        if ready:
            columns = {c.name for c in db.introspection.get_table_description(cursor, ITEMS)}
            ready = "answer_version" in columns
        if not ready:
            for name in installed:
                cursor.execute(f'DROP TRIGGER tracking_answers ON "{name}"')
            if installed:
                logger.warning("tracking answer triggers dropped: their tables or columns are missing")
            return
        cursor.execute(_TOUCH)
        for table, source in wanted.items():
            cursor.execute(_function_sql(table, source))
        for table in [*wanted, ITEMS]:
            function = _ITEM_FUNCTION if table == ITEMS else _function_name(table)
            if installed.get(table) != function:
                cursor.execute(_trigger_sql(table))
