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
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction

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
    services' apps, the compiled translations, the settings they read, and FORMAT."""
    digest = hashlib.blake2b(FORMAT.encode(), digest_size=8)
    for root, path in _shape_files():
        digest.update(str(path.relative_to(root)).encode())  # not where the code is installed
        digest.update(path.read_bytes())
    names = sorted(n for n in dir(settings) if n in SHAPE_SETTINGS or n.startswith(SHAPE_SETTINGS_PREFIXES))
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
    return sorted(files, key=lambda found: found[1].relative_to(found[0]))


# --- The triggers -------------------------------------------------------------------

_TOUCH = f"""
CREATE OR REPLACE FUNCTION tracking_answers_touch(items bigint[]) RETURNS void LANGUAGE sql AS $fn$
  WITH locked AS (  -- in one order, whichever writer comes first
    SELECT id FROM {ITEMS} WHERE id = ANY(items) ORDER BY id FOR UPDATE
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
CREATE OR REPLACE TRIGGER tracking_answers BEFORE UPDATE ON {ITEMS}
  FOR EACH ROW EXECUTE FUNCTION tracking_answers_item();
"""  # noqa: S608

_SENTINEL = -7_340_019


def sources() -> dict[str, list[str]]:
    """table -> the SELECTs giving the tracking item ids that one of its rows (written
    `{row}`, OLD or NEW in the trigger) shows in, for every registered service."""
    found: dict[str, set[str]] = {}

    def add(model, sql: str) -> None:
        found.setdefault(model._meta.db_table, set()).add(sql)

    def through(service, model, column: str, lookup: str) -> None:
        # The service's rows matching the column's value, compiled by the ORM.
        queryset = service.model._base_manager.filter(**{lookup: _SENTINEL}).values_list("tracking_id").order_by()
        sql, params = queryset.query.sql_with_params()
        if list(params) != [_SENTINEL] or sql.count("%s") != 1:  # pragma: no cover - a lookup of one value
            raise registry.RegistryError(f"{service.prefix}: cannot follow {lookup!r} to {model.__name__}")
        add(model, "(" + sql.replace("%s", f'{{row}}."{column}"') + ")")

    add(TrackingEvent, '(SELECT {row}."item_id")')
    for service in registry.all_services():
        meta = service.model._meta
        add(service.model, f'(SELECT {{row}}."{meta.get_field("tracking").column}")')
        for path in service.select_related:
            model = service.model
            for part in path.split("__"):
                model = model._meta.get_field(part).related_model
            if model is not TrackedItem:  # a number never changes
                through(service, model, model._meta.pk.column, path)
        for name in service.prefetch:
            rel = meta.get_field(name)
            through(service, rel.related_model, rel.field.column, "pk")
        for model, attname, lookup in service.answer_sources:
            column = next(f.column for f in model._meta.concrete_fields if f.attname == attname)
            through(service, model, column, lookup)
    return {table: sorted(selects) for table, selects in sorted(found.items())}


def _function_name(table: str) -> str:
    return f"tracking_answers__{table}"[:63]


def trigger_sql() -> list[str]:
    statements = [_TOUCH]
    for table, selects in sources().items():

        def items(row: str, selects=selects) -> str:
            return " UNION ".join(select.replace("{row}", row) for select in selects)

        function = _function_name(table)
        statements.append(f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM tracking_answers_touch(ARRAY({items("OLD")})::bigint[]);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM tracking_answers_touch(ARRAY({items("NEW")})::bigint[]);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER tracking_answers AFTER INSERT OR UPDATE OR DELETE ON "{table}"
  FOR EACH ROW EXECUTE FUNCTION {function}();
""")
    return statements


def install_triggers(*, using: str = "default") -> None:
    """(Re)create the triggers for the registered services, and drop those of tables no
    longer listed; idempotent (run after every migrate: tracking.apps). In one
    transaction, each trigger replaced in place: no write, during a deploy's migrate,
    finds a table without its trigger."""
    db = connections[using]
    if db.vendor != "postgresql":
        return
    tables = set(db.introspection.table_names())
    wanted = sources()
    missing = sorted(set(wanted) - tables)
    if missing or ITEMS not in tables or ANSWERS not in tables:  # a partial migrate: the next one installs them
        logger.warning("tracking answer triggers not installed: tables missing %s", missing)
        return
    with transaction.atomic(using=using), db.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'tracking_answers'")
        stale = {name.strip('"') for (name,) in cursor.fetchall()} - set(wanted) - {ITEMS}
        for table in sorted(stale):
            cursor.execute(f'DROP TRIGGER IF EXISTS tracking_answers ON "{table}"')
            cursor.execute(f"DROP FUNCTION IF EXISTS {_function_name(table)}()")
        for statement in trigger_sql():
            cursor.execute(statement)
